"""The Word Deep Net as an ONNX graph, for serving with ONNX Runtime.

TensorFlow trains the net; ONNX Runtime reads pages with it about twice as fast on the same cores
(see docs/inhouse-recognizer.md, "Serving runtime"), mostly because its fused LSTM kernel beats
TensorFlow's per-time-step loop. The graph is built here, layer by layer, from the trained Keras
model's weights (no converter dependency), with each batch norm folded into its convolution.
`tests/inhouse/test_onnx_graph.py` checks that both runtimes give the same logits.
"""

from __future__ import annotations

import numpy as np

OPSET = 17


def _lstm_gates(matrix: np.ndarray, units: int) -> np.ndarray:
    """Keras stacks the gates i, f, c, o along the last axis; ONNX wants i, o, f, c, rows first."""
    i, f, c, o = (matrix[..., k * units : (k + 1) * units] for k in range(4))
    return np.concatenate([i, o, f, c], axis=-1).T


def to_onnx(model) -> bytes:
    """Serialised ONNX model computing `model`'s logits: input "image" (N, 32, W, 1), output
    "logits" (N, W / 4, classes)."""
    import onnx
    from keras import layers
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(op: str, inputs: list[str], name: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    x = node("Transpose", ["image"], "nchw", perm=[0, 3, 1, 2])
    pending_conv: tuple[np.ndarray, str] | None = None
    features = None
    for n, layer in enumerate(model.layers):
        tag = f"{layer.name}_{n}"
        if isinstance(layer, layers.InputLayer) or isinstance(layer, layers.Dropout):
            continue
        if isinstance(layer, layers.Conv2D):
            if layer.use_bias or layer.strides != (1, 1) or layer.padding != "same":
                raise ValueError(f"unsupported convolution {layer.name}")
            pending_conv = (layer.get_weights()[0], tag)  # waits for its batch norm
        elif isinstance(layer, layers.BatchNormalization):
            if pending_conv is None:
                raise ValueError(f"unsupported batch norm {layer.name}: no convolution before it")
            kernel, conv_tag = pending_conv
            gamma, beta, mean, var = layer.get_weights()
            factor = gamma / np.sqrt(var + layer.epsilon)
            weights = (kernel * factor).transpose(3, 2, 0, 1).astype(np.float32)  # (out, in, kh, kw)
            bias = (beta - mean * factor).astype(np.float32)
            kh, kw = kernel.shape[:2]
            x = node(
                "Conv",
                [x, const(conv_tag + "_w", weights), const(conv_tag + "_b", bias)],
                conv_tag,
                kernel_shape=[kh, kw],
                pads=[kh // 2, kw // 2, kh // 2, kw // 2],
            )
            pending_conv = None
        elif isinstance(layer, layers.ReLU):
            x = node("Relu", [x], tag)
        elif isinstance(layer, layers.MaxPooling2D):
            x = node("MaxPool", [x], tag, kernel_shape=list(layer.pool_size), strides=list(layer.strides))
        elif isinstance(layer, layers.Permute):
            # NCHW -> (N, W, H, C): Keras permutes NHWC to NWHC, then flattens H and C per column
            x = node("Transpose", [x], tag, perm=[0, 3, 2, 1])
        elif isinstance(layer, layers.Reshape):
            features = layer.target_shape[-1]
            x = node("Reshape", [x, const(tag + "_shape", np.array([0, -1, features], np.int64))], tag)
            x = node("Transpose", [x], tag + "_time_major", perm=[1, 0, 2])  # (T, N, F) from here on
        elif isinstance(layer, layers.Dense):
            kernel, bias = layer.get_weights()
            x = node("MatMul", [x, const(tag + "_w", kernel.astype(np.float32))], tag + "_mm")
            x = node("Add", [x, const(tag + "_b", bias.astype(np.float32))], tag)
            if layer.activation.__name__ == "relu":
                x = node("Relu", [x], tag + "_relu")
            elif layer.activation.__name__ != "linear":
                raise ValueError(f"unsupported activation in {layer.name}")
        elif isinstance(layer, layers.Bidirectional):
            if layer.merge_mode != "concat":
                raise ValueError(f"unsupported merge mode in {layer.name}")
            units = layer.forward_layer.units
            w, r, b = [], [], []
            for direction in (layer.forward_layer, layer.backward_layer):
                kernel, recurrent, bias = direction.get_weights()
                w.append(_lstm_gates(kernel, units))
                r.append(_lstm_gates(recurrent, units))
                b.append(np.concatenate([_lstm_gates(bias, units), np.zeros(4 * units, np.float32)]))
            lstm = helper.make_node(
                "LSTM",
                [
                    x,
                    const(tag + "_W", np.stack(w).astype(np.float32)),
                    const(tag + "_R", np.stack(r).astype(np.float32)),
                    const(tag + "_B", np.stack(b).astype(np.float32)),
                ],
                [tag + "_y"],
                name=tag,
                hidden_size=units,
                direction="bidirectional",
            )
            nodes.append(lstm)
            # (T, 2, N, units) -> (T, N, 2 * units): forward then backward, like Keras' concat
            x = node("Transpose", [tag + "_y"], tag + "_t", perm=[0, 2, 1, 3])
            x = node("Reshape", [x, const(tag + "_shape", np.array([0, 0, 2 * units], np.int64))], tag + "_cat")
        else:
            raise ValueError(f"no ONNX translation for layer {layer.name} ({type(layer).__name__})")
    if features is None:
        raise ValueError("the model has no Reshape to a feature sequence")
    x = node("Transpose", [x], "logits", perm=[1, 0, 2])
    height = model.input_shape[1]
    graph = helper.make_graph(
        nodes,
        "word_deep_net",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", height, "width", 1])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", "steps", model.output_shape[-1]])],
        inits,
    )
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="ocrgate")
    onnx.checker.check_model(onnx_model)
    return onnx_model.SerializeToString()
