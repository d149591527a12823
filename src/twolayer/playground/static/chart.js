// The loss curves: train and test loss per iteration on a log scale, drawn by uPlot (vendored,
// static/vendor/). Records arrive with every frame; the chart redraws at most once per
// animation frame, and past MAX_POINTS it keeps every other point, so a long run stays light.

const MAX_POINTS = 20000;

/** A tick label of the log axis: powers of ten below 1e-3 and from 1e5 on (uPlot's own labels
 * round 1e-4 and below to "0"). */
export function tickLabel(v) {
  if (v === null || v === undefined) return "";
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(0).replace("e+", "e");
  return String(Number(v.toPrecision(3)));
}

export class LossChart {
  constructor(element) {
    this.element = element;
    this.plot = null;
    this.reset("loss");
  }

  /** Forget every point; `lossName` labels the axis. */
  reset(lossName) {
    this.iterations = [];
    this.train = [];
    this.test = [];
    this.dirty = true;
    if (this.plot) this.plot.destroy();
    const width = Math.max(320, this.element.clientWidth || 360);
    this.plot = new window.uPlot({
      width,
      height: 260,
      scales: { x: { time: false }, y: { distr: 3, log: 10 } },
      axes: [
        { label: "iteration" },
        { label: `${lossName} (log scale)`, size: 60, values: (u, splits) => splits.map(tickLabel) },
      ],
      series: [
        { label: "iteration" },
        { label: "train loss", stroke: "#0877bd", width: 1.5, spanGaps: true },
        { label: "test loss", stroke: "#f59322", width: 1.5, dash: [5, 3], spanGaps: true },
      ],
      legend: { live: true },
    }, [[], [], []], this.element);
  }

  /** Append records [iteration, loss, test loss, lr]; non-positive losses have no place on a
   * log scale and are left out. */
  add(records) {
    for (const [t, loss, testLoss] of records) {
      this.iterations.push(t);
      this.train.push(loss > 0 ? loss : null);
      this.test.push(testLoss > 0 ? testLoss : null);
    }
    if (this.iterations.length > MAX_POINTS) {
      const every = (_, i) => i % 2 === 0;
      this.iterations = this.iterations.filter(every);
      this.train = this.train.filter(every);
      this.test = this.test.filter(every);
    }
    this.dirty = this.dirty || records.length > 0;
  }

  /** Whether iteration `t` is on the chart already. */
  has(t) {
    return this.iterations.length > 0 && this.iterations[this.iterations.length - 1] >= t;
  }

  draw() {
    if (!this.dirty) return;
    this.plot.setData([this.iterations, this.train, this.test]);
    this.element.dataset.points = String(this.iterations.length); // for the tests
    const finite = this.train.filter((v) => v !== null);
    this.element.dataset.last = finite.length ? String(finite[finite.length - 1]) : "";
    this.dirty = false;
  }
}
