"""A trained model as one Python file that needs only NumPy: ``predict(x)`` and, for a
classifier, ``predict_proba(x)``.

The weights and scaling statistics are written exactly (base64 of their bytes); the forward
pass is twolayer's own, line for line, so the file's answers equal ``twolayer predict``'s bit
for bit on the same machine.  A model trained on a table carries its encoding: the file holds
the source of :mod:`twolayer.data.columns` and :mod:`twolayer.data.encoding` (the same code
that encoded the training rows) and takes raw rows of cells, in the order of ``COLUMNS``.
"""

from __future__ import annotations

import base64
import inspect
import json
from typing import Any

import numpy as np
from numpy.typing import NDArray

from twolayer.data import columns as columns_module
from twolayer.data import encoding as encoding_module
from twolayer.nn import activations
from twolayer.outputs.trained import Model

ACTIVATION_CODE = {
    "relu": "np.maximum(h, 0)",
    "leaky_relu": f"np.where(h > 0, h, {activations.LEAKY_SLOPE!r} * h)",
    "tanh": "np.tanh(h)",
    "logistic": "0.5 * (1.0 + np.tanh(0.5 * h))",
    "identity": "h",
}
"""Each activation as twolayer's NumPy path computes it (tests hold the two equal)."""


def _array(name: str, a: NDArray[Any] | None) -> str:
    if a is None:
        return f"{name} = None\n"
    a = np.ascontiguousarray(a)
    data = base64.b64encode(a.astype(a.dtype.newbyteorder("<")).tobytes()).decode("ascii")
    lines = [data[i : i + 96] for i in range(0, len(data), 96)] or [""]
    text = "\n".join(f'    "{line}"' for line in lines)
    return f'{name} = _array(\n{text},\n    "<{a.dtype.kind}{a.dtype.itemsize}", {a.shape!r},\n)\n'


def _module_source(module: Any) -> str:
    """A module's source without its imports of twolayer or ``__future__`` and its
    ``__all__``."""
    text = inspect.getsource(module).split("\n__all__ = [")[0]
    kept = [line for line in text.splitlines()
            if not line.startswith(("from __future__", "from twolayer"))]  # fmt: skip
    return "\n".join(kept) + "\n"


def _classes(model: Model) -> str:
    classes = model.preprocessing.classes
    if classes is None:
        return "CLASSES = None\n"
    values = classes.tolist()
    return f"CLASSES = np.asarray(json.loads({json.dumps(json.dumps(values))}))\n"


def numpy_source(model: Model, header: dict[str, Any]) -> str:
    """The text of the file (``header``: what the file says about its export)."""
    prep = model.preprocessing
    p = model.params
    encoding = prep.encoding
    parts = [
        f'"""A two-layer network exported by twolayer as code: it needs only NumPy.\n\n'
        f"    import {header.get('module', 'model')}\n"
        f"    {header.get('module', 'model')}.predict(x)   # x: "
        + (
            "rows of raw cells, columns in the order of COLUMNS"
            if encoding is not None
            else f"(N, {model.n_features}) numbers, columns in the order of FEATURES"
        )
        + '\n"""\n\n',
        "from __future__ import annotations\n\nimport base64\nimport json\n\n"
        "import numpy as np\n\n",
        f"EXPORT = json.loads({json.dumps(json.dumps(header))})\n",
        f"TASK = {model.task!r}\n",
        f"FEATURES = {list(model.feature_names)!r}\n",
        f"TARGETS = {list(model.target_names)!r}\n",
        "\n\ndef _array(text: str, dtype: str, shape: tuple[int, ...]) -> np.ndarray:\n"
        "    return np.frombuffer(base64.b64decode(text), dtype=dtype).reshape(shape).copy()\n\n\n",
        _array("W1", p.w1),
        _array("B1", p.b1),
        _array("W2", p.w2),
        _array("B2", p.b2),
        _array("X_MEAN", None if prep.x_scaler is None else prep.x_scaler.mean),
        _array("X_SCALE", None if prep.x_scaler is None else prep.x_scaler.scale),
        _array("Y_MEAN", None if prep.y_scaler is None else prep.y_scaler.mean),
        _array("Y_SCALE", None if prep.y_scaler is None else prep.y_scaler.scale),
        _classes(model),
    ]
    if encoding is not None:
        parts += [
            "\n\n# --- the encoding of a table's columns: twolayer.data.columns and "
            "twolayer.data.encoding, as they are ---\n",
            "import math\nimport re\nfrom collections import Counter\n"
            "from collections.abc import Iterable, Sequence\n"
            "from dataclasses import dataclass, field\nfrom typing import Any, Literal\n"
            "from numpy.typing import NDArray\n",
            _module_source(columns_module),
            _module_source(encoding_module),
            f"\nENCODING = TableEncoding.from_dict(json.loads("
            f"{json.dumps(json.dumps(encoding.to_dict()))}))\n",
            "COLUMNS = list(ENCODING.column_names)\n",
        ]
    parts.append(_functions(model, encoding is not None))
    return "".join(parts)


def _functions(model: Model, encoded: bool) -> str:
    act = ACTIVATION_CODE[model.activation]
    prep = model.preprocessing
    dtype = model.dtype.name
    features = (
        "    return ENCODING.transform(np.asarray(x, dtype=object))\n" if encoded else
        "    return np.asarray(x, dtype=np.float64)\n"
    )  # fmt: skip
    text = (
        "\n\ndef features(x):\n"
        '    """Raw inputs -> the network\'s input columns, (N, len(FEATURES))."""\n'
        + features
        + "\n\ndef outputs(x):\n"
        '    """The network\'s raw outputs (N, D_out), as twolayer computes them."""\n'
        "    x = features(x)\n"
        "    if X_SCALE is not None:\n"
        "        x = (x - X_MEAN) / X_SCALE\n"
        f"    x = x.astype({dtype!r}, copy=False)\n"
        "    h = x @ W1\n"
        "    if B1 is not None:\n"
        "        h = h + B1\n"
        f"    a = {act}\n"
        "    y = a @ W2\n"
        "    if B2 is not None:\n"
        "        y = y + B2\n"
        f"    return np.asarray(y, dtype={dtype!r})\n"
    )
    if prep.multilabel:
        text += (
            "\n\ndef predict_proba(x):\n"
            "    z = outputs(x)\n"
            "    return np.exp(-np.logaddexp(np.zeros_like(z), -z))\n"
            "\n\ndef predict(x):\n"
            "    return (outputs(x) > 0).astype(np.int64)\n"
        )
    elif prep.classes is not None:
        text += (
            "\n\ndef predict_proba(x):\n"
            "    z = outputs(x)\n"
            "    shifted = z - np.max(z, axis=1, keepdims=True)\n"
            "    return np.exp(shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True)))\n"
            "\n\ndef predict(x):\n"
            "    return CLASSES[np.argmax(outputs(x), axis=1)]\n"
        )
    else:
        text += (
            "\n\ndef predict(x):\n"
            "    y = outputs(x)\n"
            "    if Y_SCALE is not None:\n"
            "        y = y * Y_SCALE + Y_MEAN\n"
            f"    return y.astype({dtype!r}, copy=False)\n"
        )
    return text


__all__ = ["ACTIVATION_CODE", "numpy_source"]
