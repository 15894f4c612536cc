"""Word Deep Net: CNN + BiLSTM + CTC word recognizer (training, decoding, inference)."""
