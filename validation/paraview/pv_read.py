"""Run by ParaView's pvbatch (its own Python, not the project's): open an XDMF sidecar with the reader
ParaView picks by default (OpenDataFile: Xdmf3ReaderS) or with the legacy XDMF reader, read the first
and the last time step and write, per block, its cell and point counts and each cell and point
array's tuple count, NaN count, min and max.

    pvbatch pv_read.py FILE.xdmf default|legacy OUT.json
"""
import json
import math
import sys

from paraview.simple import OpenDataFile, XDMFReader

path, which, out = sys.argv[1], sys.argv[2], sys.argv[3]
reader = OpenDataFile(path) if which == "default" else XDMFReader(FileNames=[path])
reader.UpdatePipelineInformation()
values = reader.TimestepValues  # a float when the file has one step
times = list(values) if hasattr(values, "__iter__") else [float(values)]
report = {"reader": reader.GetXMLName(), "times": times, "steps": {}}


def blocks(data, name=""):
    """(name, leaf data set) pairs; a leaf without a name of its own takes its parent's."""
    if data.IsA("vtkMultiBlockDataSet") or data.IsA("vtkMultiPieceDataSet"):
        count = data.GetNumberOfBlocks() if data.IsA("vtkMultiBlockDataSet") else data.GetNumberOfPieces()
        for i in range(count):
            meta = data.GetMetaData(i) if data.HasMetaData(i) else None
            label = meta.Get(data.NAME()) if meta is not None and meta.Has(data.NAME()) else ""
            child = data.GetBlock(i) if data.IsA("vtkMultiBlockDataSet") else data.GetPiece(i)
            if child is not None:
                yield from blocks(child, label or name)
    else:
        yield name, data


def summary(data):
    """{array name: tuple count, NaN count, min, max} of a vtkCellData or vtkPointData."""
    arrays = {}
    for i in range(data.GetNumberOfArrays()):
        a = data.GetArray(i)
        values = [a.GetValue(k) for k in range(a.GetNumberOfTuples() * a.GetNumberOfComponents())]
        finite = [v for v in values if not math.isnan(v)]
        arrays[a.GetName()] = {"tuples": a.GetNumberOfTuples(), "nan": len(values) - len(finite),
                               "min": min(finite) if finite else None, "max": max(finite) if finite else None}
    return arrays


for t in (times[0], times[-1]):
    reader.UpdatePipeline(t)
    # the reader's own output object (pvbatch runs the pipeline in this process); servermanager.Fetch
    # returned rectilinear grids with only their first few hundred values filled (seen on 5.11)
    data = reader.GetClientSideObject().GetOutputDataObject(0)
    step = {}
    for index, (name, block) in enumerate(blocks(data)):
        name = name or f"#{index}"  # Xdmf3ReaderS gives a step's panels as unnamed pieces, in file order
        step[name] = {"cells": block.GetNumberOfCells(), "arrays": summary(block.GetCellData()),
                      "points": block.GetNumberOfPoints(), "point_arrays": summary(block.GetPointData())}
    report["steps"][repr(t)] = step
with open(out, "w") as fh:
    json.dump(report, fh)
