"""A trained model as an ONNX graph, built with ``onnx.helper`` and checked by ``onnx.checker``.

Imported only for ``format="onnx"`` (it needs the ``onnx`` package).  The graph takes ``x``, the
raw inputs (N, D_in) as float64, and gives ``label``: the values in the targets' units for a
regressor, the class labels for a classifier (text as strings), the 0/1 labels for multilabel;
classifiers also give ``probabilities`` (N, C or K).  It computes what twolayer computes: the
scaling, ``x @ w1 + b1``, the activation (the logistic one as ``0.5 (1 + tanh(h / 2))``, as
twolayer writes it), ``a @ w2 + b2``, then the answers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from twolayer.nn.activations import LEAKY_SLOPE
from twolayer.outputs.trained import Model

OPSET = 18


def _constant(name: str, a: Any) -> onnx.TensorProto:
    array = np.asarray(a)
    if array.dtype.kind == "U":  # text labels: an ONNX string tensor
        return helper.make_tensor(name, TensorProto.STRING, array.shape,
                                  [s.encode("utf-8") for s in array.tolist()])  # fmt: skip
    return numpy_helper.from_array(array, name)


def build(model: Model, metadata: dict[str, str]) -> onnx.ModelProto:
    """The graph of ``model``, checked; ``metadata`` becomes its metadata properties."""
    prep, p = model.preprocessing, model.params
    dtype = np.float64
    d_in, hidden, d_out = p.sizes
    init = [
        _constant("x_mean", np.zeros(d_in) if prep.x_scaler is None else prep.x_scaler.mean),
        _constant("x_scale", np.ones(d_in) if prep.x_scaler is None else prep.x_scaler.scale),
        _constant("w1", p.w1.astype(dtype)),
        _constant("w2", p.w2.astype(dtype)),
        _constant("b1", np.zeros(hidden) if p.b1 is None else p.b1.astype(dtype)),
        _constant("b2", np.zeros(d_out) if p.b2 is None else p.b2.astype(dtype)),
        _constant("half", np.asarray(0.5)),
        _constant("one", np.asarray(1.0)),
    ]
    nodes = [
        helper.make_node("Sub", ["x", "x_mean"], ["centred"]),
        helper.make_node("Div", ["centred", "x_scale"], ["scaled"]),
        helper.make_node("MatMul", ["scaled", "w1"], ["xw1"]),
        helper.make_node("Add", ["xw1", "b1"], ["h"]),
        *_activation(model.activation),
        helper.make_node("MatMul", ["a", "w2"], ["aw2"]),
        helper.make_node("Add", ["aw2", "b2"], ["z"]),
    ]
    n = "N"
    outputs = []
    if prep.multilabel:
        nodes += [
            helper.make_node("Sigmoid", ["z"], ["probabilities"]),
            helper.make_node("Greater", ["z", "zero"], ["positive"]),
            helper.make_node("Cast", ["positive"], ["label"], to=TensorProto.INT64),
        ]
        init.append(_constant("zero", np.asarray(0.0)))
        outputs = [helper.make_tensor_value_info("label", TensorProto.INT64, [n, d_out]),
                   helper.make_tensor_value_info("probabilities", TensorProto.DOUBLE,
                                                 [n, d_out])]  # fmt: skip
    elif prep.classes is not None:
        classes = prep.classes
        if classes.dtype.kind == "U":
            kind, values = TensorProto.STRING, classes.astype(str)
        elif classes.dtype.kind in "iub":
            kind, values = TensorProto.INT64, classes.astype(np.int64)
        else:
            kind, values = TensorProto.DOUBLE, classes.astype(np.float64)
        init.append(_constant("classes", values))
        nodes += [helper.make_node("Softmax", ["z"], ["probabilities"], axis=1),
                  helper.make_node("ArgMax", ["z"], ["index"], axis=1, keepdims=0),
                  helper.make_node("Gather", ["classes", "index"], ["label"], axis=0)]  # fmt: skip
        outputs = [helper.make_tensor_value_info("label", kind, [n]),
                   helper.make_tensor_value_info("probabilities", TensorProto.DOUBLE,
                                                 [n, len(classes)])]  # fmt: skip
    else:
        init += [
            _constant("y_mean", np.zeros(d_out) if prep.y_scaler is None else prep.y_scaler.mean),
            _constant("y_scale", np.ones(d_out) if prep.y_scaler is None else prep.y_scaler.scale),
        ]
        nodes += [helper.make_node("Mul", ["z", "y_scale"], ["zy"]),
                  helper.make_node("Add", ["zy", "y_mean"], ["label"])]  # fmt: skip
        outputs = [helper.make_tensor_value_info("label", TensorProto.DOUBLE, [n, d_out])]
    graph = helper.make_graph(
        nodes, "twolayer", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [n, d_in])],
        outputs, init,
    )  # fmt: skip
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                   producer_name="twolayer")  # fmt: skip
    helper.set_model_props(onnx_model, metadata)
    onnx.checker.check_model(onnx_model, full_check=True)
    return onnx_model


def _activation(name: str) -> list[onnx.NodeProto]:
    if name == "relu":
        return [helper.make_node("Relu", ["h"], ["a"])]
    if name == "leaky_relu":
        return [helper.make_node("LeakyRelu", ["h"], ["a"], alpha=LEAKY_SLOPE)]
    if name == "tanh":
        return [helper.make_node("Tanh", ["h"], ["a"])]
    if name == "logistic":
        return [helper.make_node("Mul", ["h", "half"], ["h_half"]),
                helper.make_node("Tanh", ["h_half"], ["t"]),
                helper.make_node("Add", ["t", "one"], ["t1"]),
                helper.make_node("Mul", ["t1", "half"], ["a"])]  # fmt: skip
    return [helper.make_node("Identity", ["h"], ["a"])]


RUNNER = (
    "import json, sys, numpy as np\n"
    "rows = np.load(sys.argv[2])\n"
    "try:\n"
    "    import onnxruntime\n"
    "    session = onnxruntime.InferenceSession(sys.argv[1], providers=['CPUExecutionProvider'])\n"
    "    names = [o.name for o in session.get_outputs()]\n"
    "    found = session.run(None, {'x': rows})\n"
    "    runtime = 'onnxruntime'\n"
    "except ImportError:\n"
    "    from onnx.reference import ReferenceEvaluator\n"
    "    session = ReferenceEvaluator(sys.argv[1])\n"
    "    names = list(session.output_names)\n"
    "    found = session.run(None, {'x': rows})\n"
    "    runtime = 'the ONNX reference evaluator'\n"
    "out = {n: np.asarray(v).tolist() for n, v in zip(names, found)}\n"
    "out = {k: [s.decode() if isinstance(s, bytes) else s for s in v] if k == 'label' and v and "
    "isinstance(v[0], (str, bytes)) else v for k, v in out.items()}\n"
    "print(json.dumps({'outputs': out, 'runtime': runtime}))\n"
)
"""The fresh process that runs the file with onnxruntime (or the ONNX reference evaluator)."""


__all__ = ["OPSET", "RUNNER", "build"]
