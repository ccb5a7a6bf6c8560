"""thermal sweep: parameter studies on Dask (sweep files, execution, outputs)."""
