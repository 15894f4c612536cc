"""RapidOCR (PP-OCRv4 on ONNX Runtime) as an ocrgate engine, registered through the `ocrgate.engines` entry point."""
