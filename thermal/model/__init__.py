"""The model: frozen dataclasses in SI units that the input stage produces and the build stage reads."""
