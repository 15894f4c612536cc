"""Word Deep Net inference: CNN + BiLSTM + CTC word recognizer served from its int8 ONNX copy
(preprocessing, decoding, calibration, the ONNX Runtime session). Training is in `training`."""
