// Guided lessons: a link (#lesson=NAME) sets up the run, and the page asks a question, says what
// to watch, and offers the next changes to try, one click each. The lessons are lessons.json.

let lessons = null;

/** The lessons (static/lessons.json: the tests read the same file). */
export async function loadLessons() {
  if (!lessons) lessons = await (await fetch("/static/lessons.json")).json();
  return lessons;
}

/** Fill the lesson panel; `act(settings, reset)` carries out a step. */
export function showLesson(panel, lesson, act) {
  panel.hidden = !lesson;
  if (!lesson) return;
  const title = document.createElement("h2");
  title.textContent = `Lesson: ${lesson.title}`;
  const question = document.createElement("p");
  question.className = "question";
  question.textContent = lesson.question;
  const watch = document.createElement("p");
  watch.innerHTML = "<b>Watch:</b> ";
  watch.append(lesson.watch);
  const list = document.createElement("ol");
  lesson.steps.forEach((step, i) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "try it";
    button.dataset.testid = `lesson-step-${i + 1}`;
    button.addEventListener("click", () => act(step.settings, step.reset === true));
    item.append(`${step.text} `, button);
    list.append(item);
  });
  const close = document.createElement("button");
  close.type = "button";
  close.className = "close";
  close.textContent = "close";
  close.addEventListener("click", () => { panel.hidden = true; });
  panel.replaceChildren(close, title, question, watch, list);
}
