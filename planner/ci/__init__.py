"""The batch and CI layer: build many plans into a tree, index and summary, provenance, carry-over."""
