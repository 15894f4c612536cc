"""In-house OCR: synthetic word data (`synth`) and the Word Deep Net recognizer (`recognizer`)."""
