"""Models exported for serving (ONNX fp32 and int8), and how they compare with the PyTorch model they came from."""

from resume_ner.export.onnx import ONNX_FILE, ONNX_INT8_FILE, RUNTIME_FILES, export_onnx, quantize_int8

__all__ = ["ONNX_FILE", "ONNX_INT8_FILE", "RUNTIME_FILES", "export_onnx", "quantize_int8"]
