"""The in-house OCR engine as it serves: `engine` (the `OcrEngine` adapter, registered through the
`ocrgate.engines` entry point), the MSER word detector (`detector`), orientation, the Word Deep Net
recognizer's inference on ONNX Runtime (`recognizer`), the Wordinator and the lexicon
post-processing (`postprocess`), and the shipped models (`models/`). Training lives in the
top-level `training` package, which this package never imports."""
