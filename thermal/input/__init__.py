"""Input: TOML case files, units (pint), the material library and overrides -> the model."""
