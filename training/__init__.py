"""Training tools for the in-house recognizer, kept out of the serving library (as docTR keeps
its training references outside the library): the synthetic word generator (`training.synth`),
the Keras Word Deep Net (`model`), training and fine-tuning (`train`, `finetune`, `data`,
`realcrops`), calibration fitting (`calibrate`), the float ONNX graph and the int8 serving copy
(`onnx_graph`, `quantize`), weight averaging (`soup`), held-out comparison (`validate`) and the
post-processing threshold tuner (`tune_postprocess`).

Training may import `inhouse` (the serving pieces it shares: charset, preprocessing, decoding,
calibration's application) and `evaluation` (text normalisation, metrics, the lab notebook);
nothing under `inhouse`, `engines` or `service` imports `training`. It needs the `training`
extra (`pip install -e '.[training]'`: TensorFlow, onnx, Faker) and the font packages of
`apt-packages-test.txt`.
"""
