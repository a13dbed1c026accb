"""Source bytes, encodings, positions and small syntax helpers."""
