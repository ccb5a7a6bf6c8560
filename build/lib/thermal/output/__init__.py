"""Output: results in memory, HDF5/XDMF files, plots."""
