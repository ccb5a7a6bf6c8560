"""The `thermal` command.  Every error a user can cause prints one line and exits non-zero:
2 for bad input (case file, arguments, files), 3 for a solve that did not converge."""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import traceback
from contextlib import nullcontext
from pathlib import Path

import numpy as np
from tqdm import tqdm

from thermal.apps.compare import Tolerances, compare_results, compare_sizing
from thermal.apps.failures import failure_candidates, format_failure_table, n_minus_1
from thermal.apps.resume import DEFAULT_EVERY_S
from thermal.apps.sizing.input import load_sizing
from thermal.apps.sizing.report import summary_rows as sizing_summary_rows
from thermal.apps.sizing.report import spare_process, summary_text, write_outputs
from thermal.apps.sizing.size import size
from thermal.apps.sizing.solve_cache import solve_cache
from thermal.apps.solve import solve
from thermal.apps.sweep.execute import job_script, run_sweep
from thermal.apps.sweep.outputs import sensitivity
from thermal.apps.sweep.spec import expand, load_sweep
from thermal.apps.validation import run_validation
from thermal.constants import VERSION as __version__
from thermal.errors import ThermalError
from thermal.build.network import build_network
from thermal.input.case_file import load_case, parse_case
from thermal.input.materials import library_coatings, library_materials
from thermal.input.plausibility import plausibility_warnings
from thermal.output.plotting import geometry as geometry_figure
from thermal.output.plotting import history, loop_figure, peak_step, pipe_utilisation, sweep_figures, \
    temperature_maps
from thermal.output.exports import write_junit, write_rows_csv, write_table_csv
from thermal.output.paths import check_output, default_output
from thermal.output.results import part_path, read_result, read_sizing_attrs
from thermal.physics.orbit import OrbitGeometry
from thermal.output.radiation import drawable, radiation_geometry
from thermal.output.radiation import summary_lines as radiation_summary_lines
from thermal.output.loops import summary_lines as loop_summary_lines
from thermal.output.heaters import summary_lines as heater_summary_lines
from thermal.output.results import melt_fraction_field

DESCRIPTION = """\
thermal: finite-volume radiator solver for orbital compute.

  thermal run CASE.toml -o OUT.h5     solve a case (steady, transient or orbit-periodic, as the case says)
  thermal run CASE.toml --n-minus-1   ... then once per heat pipe failed, worst junction of each
  thermal plot OUT.h5 -o MAP.png       temperature map of every panel, with chip outlines
  thermal size SIZING.toml -o DIR      radiator area, mass and margins for a compute power
  thermal sweep SWEEP.toml -o DIR      parameter study on Dask (local, a scheduler, SLURM or PBS)
  thermal compare A.h5 B.h5            compare two result files field by field
  thermal validate [--quick]           run the validation suite against closed forms
  thermal info                         list library materials and coatings

Units: case files take quantities with units ("2 mm", "120 kW", "85 degC"); everything inside is
SI and kelvin.  Exit status: 0 ok, 1 a check failed (compare/validate), 2 bad input, 3 no convergence.
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="thermal", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"thermal {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    _add_run_and_plot(sub)
    _add_size_and_sweep(sub)
    _add_checks(sub)
    return p


def _add_run_and_plot(sub):
    r = sub.add_parser("run", help="solve a case file and write an HDF5 result",
                       description="Solve CASE.toml (steady Newton or backward-Euler transient, as its [case] mode "
                                   "says), print a summary (max/mean temperature per panel and layer, energy "
                                   "balance) and write the fields to HDF5 with an XDMF sidecar for ParaView.")
    r.epilog = "example: thermal run cases/gpu_radiator.toml -o out/gpu.h5"
    r.add_argument("case", type=Path, help="case file (TOML)")
    r.add_argument("-o", "--output", type=Path, help="result file (default: <case name>.h5 here)")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    r.add_argument("--force", action="store_true",
                   help="run even when the estimated memory exceeds what is available or the fixed steps "
                        "exceed 1e7 (the guard's message gives the estimate)")
    r.add_argument("--csv", type=Path, metavar="FILE",
                   help="also write one row per output time: each panel's hottest cell, each chip's hottest and mean "
                        "junction, each lumped node, pipe vapour and heat, the energy terms (temperatures in K and "
                        "degC, to 0.1 mK)")
    r.add_argument("--resume", action="store_true",
                   help="go on with a transient or orbit-periodic run that was killed or interrupted: from the last "
                        "checkpoint in OUTPUT.checkpoint, keeping the output steps in OUTPUT.part written before it "
                        "(the same case text is required; with no checkpoint the run starts from the beginning); "
                        "N-1 cases already solved are taken from OUTPUT's .n-1.csv journal")
    r.add_argument("--checkpoint-every", type=float, default=DEFAULT_EVERY_S, metavar="SECONDS",
                   help=f"save a checkpoint for --resume at most this often in wall time (default "
                        f"{DEFAULT_EVERY_S:g} s; 0: after every time step or orbit)")
    r.add_argument("--n-minus-1", action="store_true",
                   help="after the nominal case, solve it once per heat pipe with that pipe failed (its wall "
                        "still conducts) and tabulate the worst junction temperature of each")

    pl = sub.add_parser("plot", help="temperature map PNG of a result file",
                        description="Plot the hottest temperature through the thickness of every panel column "
                                    "(or one layer's) at one output step, in degC, with footprint outlines and heat-pipe paths "
                                    "(with NAME_pipes.png: utilisation bars per pipe). For a "
                                    "transient result also write NAME_history.png: temperatures against time "
                                    "(in orbits for orbit cases, eclipses shaded) and the flux on each face.")
    pl.epilog = "example: thermal plot out/gpu.h5 -o out/gpu.png --layer die"
    pl.add_argument("result", type=Path, help="result file written by 'thermal run'")
    pl.add_argument("-o", "--output", type=Path, help="PNG file (default: next to the result)")
    pl.add_argument("--step", type=int, default=None,
                    help="output step to map (default: the step of the hottest junction, the peak a report quotes; "
                         "-1: the last)")
    pl.add_argument("--layer", help="plot this layer only (default: max over all layers)")
    pl.add_argument("--probe", action="append", default=[], metavar="PANEL:X_MM,Y_MM",
                    help="add the temperature history at this point of a panel (repeatable)")
    pl.add_argument("--geometry", action="store_true",
                    help="draw the assembly in 3-D instead (radiation-exchange cases): patches by surface with their "
                         "normals, blockers, and the Sun and Earth directions at --time; RESULT may also be a case file")
    pl.add_argument("--time", type=float, default=0.0, metavar="SECONDS",
                    help="orbit time for the Sun and Earth directions of --geometry (0 = orbit noon)")


def _add_size_and_sweep(sub):
    sz = sub.add_parser("size", help="size a radiator for a compute power",
                        description="Turn a compute power into radiator area, mass and margins: a closed-form first "
                                    "estimate, then the field solver on a repeating unit (one chip, its cold plate, "
                                    "heat pipes and share of the radiator) iterated on the radiator length until "
                                    "the hottest junction meets the target in the hot case (worst beta over the "
                                    "year, end-of-life optics; orbit-periodic where there are eclipses), then the "
                                    "cold case (idle, beginning-of-life): the heater power that keeps everything "
                                    "above its minimum. Prints the summary; writes DIR/NAME.md (report with "
                                    "figures and trade studies), NAME.h5 (hot field and /sizing), NAME_cold.h5 and "
                                    "the repeating-unit case files.")
    sz.epilog = "example: thermal size cases/sizing/flagship_100kw.toml -o out/flagship"
    sz.add_argument("sizing", type=Path, help="sizing file (TOML)")
    sz.add_argument("-o", "--output", type=Path, help="output folder (default: size-<name>)")
    sz.add_argument("--no-trades", action="store_true", help="skip the trade-study figures")
    sz.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    sz.add_argument("--csv", type=Path, metavar="FILE",
                    help="also write the summary table (quantity, closed-form estimate, field-verified value) as CSV")
    sz.add_argument("--resume", action="store_true",
                    help="go on with a sizing run that was killed: the solves it finished (kept in OUTPUT/.solves "
                         "until the sizing completes) are read back instead of solved again")

    sw = sub.add_parser("sweep", help="parameter study on Dask (resumable)",
                        formatter_class=argparse.RawDescriptionHelpFormatter,
                        description="Run every case of a sweep file (a base case with keys varied over lists, ranges "
                                    "or Latin-hypercube/Sobol samples) as Dask tasks: an embedded LocalCluster by "
                                    "default (one process and one thread per worker), a running scheduler with "
                                    "--scheduler, or a SLURM/PBS cluster through dask-jobqueue. Writes "
                                    "DIR/cases/<id>.h5 per case (renamed when complete), DIR/results.csv and "
                                    "results.h5 (inputs, outputs, status, wall time, error), scatter.png and "
                                    "sensitivity.png. A re-run skips finished cases (identified by the hash of "
                                    "their effective case text); Ctrl-C leaves a consistent table.")
    sw.epilog = """example sweep file:
  [sweep]
  name = "sheet"
  base = "../cases/four_gpu_ammonia.toml"
  outputs = ["tj_max_k", "pipe_utilisation_max"]
  sampling = "grid"          # or "latin" / "sobol" with samples = N and seed = S
  [parameters]
  "panels.radiator.layers.sheet.thickness" = ["1 mm", "1.5 mm", "2 mm"]
  "panels.coldplate.footprints.gpu_a.power" = { from = "300 W", to = "600 W", steps = 4 }
  [cluster]
  kind = "local"             # or "scheduler" (address = "tcp://..."), "slurm", "pbs"
  workers = 2"""
    sw.add_argument("sweep", type=Path, help="sweep file (TOML)")
    sw.add_argument("-o", "--output", type=Path, help="output folder (default: sweep-<name>)")
    sw.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786")
    grp = sw.add_mutually_exclusive_group()
    grp.add_argument("--slurm", action="store_true", help="start workers as SLURM jobs (dask-jobqueue)")
    grp.add_argument("--pbs", action="store_true", help="start workers as PBS jobs (dask-jobqueue)")
    sw.add_argument("--workers", type=int, help="LocalCluster workers (default: the sweep file's, else 2)")
    sw.add_argument("--job-script", action="store_true", help="print the SLURM/PBS job script and exit")
    sw.add_argument("--retry-failed", action="store_true", help="also re-run cases recorded as failed")
    sw.add_argument("--list", action="store_true", help="list the cases (id and inputs) and exit")
    sw.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    sw.add_argument("--force", action="store_true", help="run more than 100,000 cases (refused otherwise)")
    sw.add_argument("--dashboard", metavar="HOST:PORT", default="127.0.0.1:0",
                    help="where the Dask dashboard listens (default 127.0.0.1 on a free port: this machine only; "
                         "it has no authentication, so another address prints a warning)")


def _add_checks(sub):
    c = sub.add_parser("compare", help="compare two result files",
                       description="Compare two result files at every output step: panel fields, lumped nodes, "
                                   "chips' junctions, heat-pipe vapour, loop fluid (|A-B| <= atol + rtol*|B| in K) "
                                   "and heat flows (energy terms, pipe Q, each radiating surface's heat from the "
                                   "Sun, the Earth, to space and to the others: |A-B| <= power-rtol x the heat "
                                   "input); view factors and orbit visibility (fractions) to rtol, absolute. "
                                   "Exit 0 if all agree and the files are the same kind of result; else 1, saying "
                                   "why: a file from a run that stopped early or never completed, different step "
                                   "counts or times, another case, other panels, grids, chips or pipes. Files "
                                   "from `thermal size` also compare their sizing answers (/sizing).")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    c.add_argument("--rtol", type=float, default=1e-9,
                   help="relative tolerance (default 1e-9); absolute for view factors and visibility fractions")
    c.add_argument("--atol", type=float, default=1e-9, help="absolute tolerance in K (default 1e-9)")
    c.add_argument("--power-rtol", type=float, default=1e-9,
                   help="heat flows (energy terms, pipe Q): tolerance as a share of the larger heat input of the "
                        "two runs (default 1e-9)")
    c.add_argument("--sizing-rtol", type=float, default=1e-9,
                   help="sizing answers in files from `thermal size` (area, masses, heater power; relative, default "
                        "1e-9; their temperatures use --atol/--rtol)")

    v = sub.add_parser("validate", help="run the validation suite",
                       description="Solve every validation case, compare with its closed-form or independent "
                                   "answer, write a Markdown report with figures, exit 1 on any miss.")
    v.add_argument("--quick", action="store_true", help="coarser grids and fewer refinements (CI)")
    v.add_argument("-o", "--output", type=Path, default=Path("out/validation"),
                   help="report folder (default: out/validation under the current folder)")
    v.add_argument("--junit", type=Path, metavar="FILE",
                   help="also write the checks as JUnit XML (one test case per check; what CI services display)")

    sub.add_parser("info", help="list library materials and coatings",
                   formatter_class=argparse.RawDescriptionHelpFormatter,
                   description="Print the bundled material and coating library with values and sources.",
                   epilog="A case file may use any of these by name, override a value or add its own:\n"
                          "  [materials.al6061]\n  k = \"160 W/m/K\"            # override one value\n"
                          "  [materials.my_cfrp]\n  base = \"k1100_cfrp\"\n  k_inplane = \"400 W/m/K\"\n"
                          "  [coatings.aged_white]\n  base = \"white_paint\"\n  alpha = 0.35")


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return {"run": _run, "plot": _plot, "compare": _compare, "validate": _validate, "info": _info,
                "sweep": _sweep, "size": _size}[args.command](args)
    except ThermalError as exc:
        print(f"thermal: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("thermal: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (| head): nothing left to say to it
        sys.stderr.close()
        return 0
    except Exception as exc:  # noqa: BLE001 - a bug of ours: one line for the user, the traceback kept
        log = _crash_log(exc)
        print(f"thermal: internal error: {type(exc).__name__}: {exc} (please report it with the traceback in "
              f"{log})".replace("\n", " "), file=sys.stderr)
        return 1


def _crash_log(exc: BaseException) -> str:
    """Write the traceback of an unexpected error to a log file and return its name."""
    with tempfile.NamedTemporaryFile("w", prefix="thermal-error-", suffix=".log", delete=False) as fh:
        fh.write(f"thermal {__version__}, {' '.join(sys.argv)}\n")
        fh.write("".join(traceback.format_exception(exc)))
        return fh.name


def _run(args) -> int:
    case = load_case(args.case)
    output = check_output(args.output or default_output(case.name), inputs=(args.case,))
    for w in plausibility_warnings(case):  # before a solve that may take long on such input
        print(f"warning: {w}", file=sys.stderr)
    show = not args.quiet and sys.stderr.isatty()
    if args.checkpoint_every < 0 or not math.isfinite(args.checkpoint_every):
        raise ThermalError(f"--checkpoint-every {args.checkpoint_every:g}: give 0 or more seconds")
    if args.resume and output.exists() and not part_path(output).exists():
        result = read_result(output)  # finished before: only what came after it (N-1) is left
        if result.attrs.get("case_text") != case.source_text:
            raise ThermalError(f"--resume: {output} is complete but was written for another case text than "
                               f"{args.case}; run without --resume to solve it again")
        print(f"{output} is complete: nothing to resume")
    else:
        result = solve(case, output=output, progress=show, force=args.force, resume=args.resume,
                       checkpoint_every_s=args.checkpoint_every)
        print(format_summary(case, result, output))
    if args.csv is not None:
        print(f"wrote      {write_table_csv(result.to_table(), args.csv)} (one row per output time)")
    if args.n_minus_1:
        journal = output.with_name(output.stem + ".n-1.csv")
        with tqdm(total=len(failure_candidates(case)), desc="N-1 cases", disable=not show) as bar:
            rows = n_minus_1(case, result, solve, progress=bar, journal=journal, resume=args.resume)
        print(f"\nN-1: every single heat-pipe or loop-branch failure (nominal first; each row also in {journal})")
        print(format_failure_table(rows))
    return 0


def _pipe_lines(result) -> list:
    """The heat-pipe table of the summary, with gas fronts and dry-out warnings."""
    lines = [f"{'heat pipe':<12}{'fluid':<10}{'T vap [°C]':>11}{'Q [W]':>9}{'Q max [W]':>10}{'limit':>13}"
             f"{'use':>7}  state"]
    for name, p in result.heat_pipes.items():
        if p["failed"]:
            lines.append(f"{name:<12}{p['fluid']:<10}{'-':>11}{0.0:>9.1f}{'-':>10}{'-':>13}{'-':>7}  FAILED (case)")
            continue
        use = float(np.nanmax(p["utilisation"])) if np.isfinite(p["utilisation"]).any() else float("nan")
        q_max = p["limits"].get(p["governing"], float("nan"))
        state = "ok"
        if p["dried"]:
            state = (f"DRIED OUT: asked for more than its limit; {100 * p.get('wetted', 0.0):.0f}% of the "
                     "evaporator still wet, carrying the limit")
        elif use > 1.0:
            state = "OVER LIMIT"
        if p.get("out_of_range"):
            state = "FLUID OUT OF RANGE: " + p["out_of_range"]
        lines.append(f"{name:<12}{p['fluid']:<10}{p['t_vapour'][-1] - 273.15:>11.2f}{p['q'][-1]:>9.1f}"
                     f"{q_max:>10.1f}{p['governing']:>13}{use:>7.2f}  {state}")
    for name, p in result.heat_pipes.items():
        active = np.asarray(p.get("active_series", []), float)
        if p.get("gas") and active.size:
            lines.append(f"{name}: gas-loaded (VCHP): active condenser {active[-1]:.4g} m at the last output"
                         + (f", {np.min(active):.4g} to {np.max(active):.4g} m over the run" if active.size > 1
                            else ""))
    dried = [n for n, p in result.heat_pipes.items() if p["dried"]]
    if dried:
        lines.append(f"WARNING: {len(dried)} heat pipe(s) dried out ({', '.join(dried)}): their evaporators no "
                     "longer carry heat; the temperatures above include that")
    if result.mode != "steady":
        lines.append("(use: the largest Q/Q_max over all output times; Q, T vap at the last output)")
    return lines


def format_summary(case, result, output=None) -> str:
    a = result.attrs
    lines = [f"case       {case.name} ({case.mode})  from {case.file}",
             f"network    {a['n_nodes']} nodes, {a['n_links']} links; linear solver: {a['linear_solver']}"
             + (f" ({a['linear_solver_switch']})" if a.get("linear_solver_switch") else ""),
             f"solve      {a['newton_iterations']} Newton iterations, {a['wall_s']:.2f} s"
             + (f" ({a['loop_outer_passes']} steady solves: fluid properties and valve settled outside Newton)"
                if "loop_outer_passes" in a else "")]
    if "environment" in a:
        lines.append(f"environment {a['environment']}")
    if "beta_year_deg" in a:
        b = a["beta_year_deg"]
        lines.append(f"orbit      inclination {a['inclination_deg']:.2f} deg; over the next year beta spans "
                     f"{b.min():.1f} to {b.max():.1f} deg, eclipses on ~{a['eclipse_days_per_year']:.0f} days; "
                     f"eclipse fraction now {a['eclipse_fraction']:.3f}")
    if case.mode == "transient" and case.transient.scheme == "fixed":
        lines.append(f"time       {result.times_s[-1]:g} s in steps of {case.transient.time_step_s:g} s")
    elif case.mode == "periodic":
        lines.append(f"periodic   {a['periodic_orbits']} orbit integrations ({a['periodic_method']}); periodicity "
                     f"max|T(P) - T(0)| = {a['periodicity_k']:.2e} K (tolerance {case.periodic.tolerance_k:g} K); "
                     f"orbit energy closure {a['energy_closure']:.2e}")
    elif case.mode == "transient":
        sol = result.solution
        lines.append(f"time       {result.times_s[-1]:g} s, {case.transient.scheme} with local error "
                     f"{case.transient.tolerance_k:g} K: {sol.steps_accepted} steps ({sol.steps_rejected} rejected)")
    if a.get("resumes"):
        lines.append(f"resumed    {a['resumes']} time(s), last from its checkpoint at t = {a['resumed_at_s']:g} s")
    if "resumed_after_orbit" in a:
        lines.append(f"resumed    from the checkpoint after orbit {a['resumed_after_orbit']} of the periodic search")
    for d in case.defaults_used:
        lines.append(f"default    {d}")
    for w in plausibility_warnings(case):
        lines.append(f"WARNING    {w}")
    lines.append("")
    lines.append(f"{'panel/node':<16}{'layer':<16}{'T max [K]':>12}{'[°C]':>9}{'T mean [K]':>12}{'[°C]':>9}")
    for panel, layer, tmax, tmean in result.summary_rows():
        lines.append(f"{panel:<16}{layer:<16}{tmax:>12.3f}{tmax - 273.15:>9.2f}{tmean:>12.3f}{tmean - 273.15:>9.2f}")
    if result.chips:
        lines += ["", f"{'chip':<32}{'Tj max [°C]':>12}{'Tj mean [°C]':>13}{'limit [°C]':>11}{'margin [K]':>11}"]
        for name, c in result.chips.items():
            tmax, tmean = float(np.max(c["t_max"])), float(c["t_mean"][-1])
            limit = c["limit_k"]
            lim = f"{limit - 273.15:>11.2f}{limit - tmax:>11.2f}" if limit is not None else f"{'-':>11}{'-':>11}"
            flag = "  EXCEEDED" if limit is not None and tmax > limit else ""
            lines.append(f"{name:<32}{tmax - 273.15:>12.2f}{tmean - 273.15:>13.2f}{lim}{flag}")
        if result.mode != "steady":
            lines.append("(Tj max: the hottest junction cell over all output times)")
    if result.heat_pipes:
        lines += [""] + _pipe_lines(result)
    if result.loops:
        lines += ["", "pumped loops (last output; freezing margin over all outputs)"]
        lines += loop_summary_lines(result.loops)
    if result.heaters:
        lines += [""] + heater_summary_lines(result.heaters)
    melt = [(panel, melt_fraction_field(f, np.asarray(result.mesh[panel]["material"]), result.mesh[panel]["melting"]))
            for panel, f in result.fields.items() if result.mesh[panel].get("melting")]
    for panel, m in melt:
        lines.append(f"phase change {panel}: melt fraction {np.nanmin(m[-1]):.3f} to {np.nanmax(m[-1]):.3f} at the last "
                     f"output, {np.nanmin(m):.3f} to {np.nanmax(m):.3f} over the run (/fields/{panel}/melt_fraction)")
    if result.radiation:
        rad = result.radiation
        lines += ["", f"radiation exchange (last output): {len(rad['patch_names'])} patches, view-factor reciprocity "
                  f"{rad['reciprocity_error']:.1e}, {rad['blocking_rays']}"
                  " blocking rays"]
        lines += radiation_summary_lines(rad)
    e = {k: float(v[-1]) for k, v in result.energy.items()}
    scale = max(abs(e["generated"]) + abs(e["absorbed"]), abs(e["radiated"]), 1e-300)
    lines += ["", "energy balance (last output) [W]",
              f"  generated {e['generated']:.6g}  + absorbed {e['absorbed']:.6g}  - radiated {e['radiated']:.6g}"
              f"  - stored {e['stored']:.6g}  - conducted out {e['conducted_out']:.6g}",
              f"  = {e['balance_error']:.3e} W (relative {e['balance_error'] / scale:.2e})"]
    if output is not None:
        lines.append(f"\nwrote      {output} (+ {Path(output).with_suffix('.xdmf').name} for ParaView)")
    return "\n".join(lines)


def _plot_geometry(args) -> int:
    """thermal plot --geometry: from a case file (built, not solved) or a result's /radiation."""
    if not np.isfinite(args.time):
        raise ThermalError(f"--time {args.time}: must be a finite number of seconds")
    if args.result.suffix == ".toml":
        case = load_case(args.result)
        net = build_network(case)
        if net.radiation is None:
            raise ThermalError(f"{args.result}: no [radiation] table: the case places no surfaces to draw")
        record = radiation_geometry(net)
        text = case.source_text
    else:
        result = read_result(args.result)
        if not result.radiation:
            raise ThermalError(f"{args.result}: no /radiation group: the case placed no surfaces to draw")
        record, text = result.radiation, result.case_text
    case = parse_case(text, str(args.result))
    sun = nadir = None
    title = case.name
    if case.orbit is not None:
        o = case.orbit
        geom = OrbitGeometry(o.altitude_m, o.beta_rad, o.solar_constant_w_m2, o.earth_ir_w_m2, o.albedo, o.shadow)
        *_, nu, sun, nadir = geom.flux_parts(args.time, np.zeros((1, 3)) + [0, 0, 1], o.attitude, o.pointing, o.align)
        title += f" at t = {args.time:g} s of {geom.period_s:.0f} s (Sun {'visible' if nu > 0 else 'eclipsed'})"
    patches, blockers = drawable(record)
    out = args.output or args.result.with_name(args.result.stem + "_geometry.png")
    geometry_figure(patches, out, blockers, sun, nadir, title)
    print(f"wrote {out}")
    return 0


def _plot(args) -> int:
    if args.geometry:
        return _plot_geometry(args)
    result = read_result(args.result)
    if len(result.times_s) == 0:
        raise ThermalError(f"{args.result}: the file holds no output step")
    if args.step is None:
        args.step = peak_step(result)
    if not -len(result.times_s) <= args.step < len(result.times_s):
        raise ThermalError(f"--step {args.step}: the file has {len(result.times_s)} steps (0..{len(result.times_s) - 1})")
    if args.layer is not None and not any(args.layer in m["layer_names"] for m in result.mesh.values()):
        names = sorted({n for m in result.mesh.values() for n in m["layer_names"]})
        raise ThermalError(f"--layer {args.layer}: no such layer; layers: {', '.join(names)}")
    out = args.output or args.result.with_suffix(".png")
    temperature_maps(result, out, args.step if args.step != peak_step(result) else None, args.layer)
    print(f"wrote {out}")
    if result.heat_pipes:
        bars = Path(out).with_name(Path(out).stem + "_pipes.png")
        pipe_utilisation(result, bars)
        print(f"wrote {bars}")
    if result.loops:
        loops = Path(out).with_name(Path(out).stem + "_loops.png")
        loop_figure(result, loops, args.step)
        print(f"wrote {loops}")
    if len(result.times_s) > 1:
        hist = Path(out).with_name(Path(out).stem + "_history.png")
        history(result, hist, _probes(args.probe, result))
        print(f"wrote {hist}")
    return 0


def _probes(specs, result):
    probes = []
    for spec in specs:
        panel, _, xy = spec.partition(":")
        try:
            x_mm, y_mm = (float(v) for v in xy.split(","))
        except ValueError:
            raise ThermalError(f"--probe {spec}: expected PANEL:X_MM,Y_MM, e.g. radiator:500,500") from None
        if panel not in result.mesh:
            raise ThermalError(f"--probe {spec}: no panel '{panel}'; panels: {', '.join(result.mesh)}")
        m = result.mesh[panel]
        if not (m["x_edges"][0] <= x_mm / 1e3 <= m["x_edges"][-1] and m["y_edges"][0] <= y_mm / 1e3 <= m["y_edges"][-1]):
            raise ThermalError(f"--probe {spec}: the point lies outside panel '{panel}' "
                               f"(0..{m['x_edges'][-1] * 1e3:g} x 0..{m['y_edges'][-1] * 1e3:g} mm)")
        probes.append((panel, x_mm / 1e3, y_mm / 1e3))
    return probes


def _size(args) -> int:
    spec = load_sizing(args.sizing)
    out_dir = args.output or default_output(f"size-{spec.name}", suffix="")
    show = not args.quiet

    def progress(msg):
        if show:
            print(f"  {msg}", file=sys.stderr, flush=True)

    with solve_cache(Path(out_dir) / ".solves", reuse=args.resume) as cache, \
            (spare_process() if not args.no_trades else nullcontext()) as helper:
        result = size(spec, progress=progress)
        write_outputs(result, out_dir, trades=not args.no_trades, helper=helper)
    print(summary_text(result, out_dir))
    if args.csv is not None:
        rows = [*sizing_summary_rows(result), ("installed heater power per chip [W]", "-",
                                               f"{result.installed_heater_w_per_chip:.2f}")]
        print(f"wrote      {write_rows_csv(('quantity', 'estimate', 'field verified'), rows, args.csv)}")
    if args.resume:
        print(f"resumed: {cache.reused} solves read back (from the killed run, or repeated), {cache.solved} solved now")
    return 0


def check_dashboard_address(address: str) -> None:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ThermalError(f"--dashboard {address}: expected HOST:PORT, e.g. 127.0.0.1:8787 (port 0: any free one)")
    if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
        print(f"warning: the Dask dashboard will listen on {address}, reachable from other machines, and it has no "
              "authentication; anyone who reaches it sees the sweep and its workers", file=sys.stderr)


def _sweep(args) -> int:
    spec = load_sweep(args.sweep)
    out_dir = args.output or default_output(f"sweep-{spec.name}", suffix="")
    kind = "slurm" if args.slurm else "pbs" if args.pbs else None
    if args.job_script:
        k = kind or spec.cluster.kind
        if k not in ("slurm", "pbs"):
            raise ThermalError("--job-script needs --slurm or --pbs (or cluster.kind = 'slurm'/'pbs')")
        print(job_script(spec, Path(out_dir).resolve(), k))
        return 0
    if args.list:
        for c in expand(spec, force=args.force):
            print(c.case_id, " ".join(f"{k}={v}" for k, v in c.inputs.items()))
        return 0
    if args.workers is not None and args.workers < 1:
        raise ThermalError(f"--workers {args.workers}: a LocalCluster needs at least 1 worker")
    check_dashboard_address(args.dashboard)
    show = not args.quiet and sys.stderr.isatty()
    report = run_sweep(spec, out_dir, scheduler=args.scheduler, kind=kind, workers=args.workers, progress=show,
                       retry_failed=args.retry_failed, force=args.force, dashboard=args.dashboard)
    inputs = [p.column for p in spec.parameters]
    ranking = sensitivity(report.rows, inputs, spec.outputs)
    print(f"sweep      {spec.name}: {report.total} cases; {report.skipped} already finished, {report.ran} run now "
          f"({report.failed} failed) in {report.wall_s:.1f} s")
    print(f"table      {report.table_csv} (+ results.h5)")
    for o in spec.outputs:
        print(f"sensitivity of {o}: " + ", ".join(f"{i} {rho:+.2f}" for i, rho in ranking.get(o, [])))
    failed = [r for r in report.rows if r.get("status") == "failed"]
    for r in failed[:5]:
        print(f"failed     {r['case_id']}: {r.get('error', '')}")
    if len(failed) > 5:
        print(f"failed     ... and {len(failed) - 5} more (see the table's error column)")
    if any(r.get("status") == "ok" for r in report.rows):
        for path in sweep_figures(report.rows, inputs, list(spec.outputs), ranking, out_dir):
            print(f"wrote      {path}")
    if report.interrupted:
        print(f"interrupted: {len(report.rows)} of {report.total} cases are in the table; run the same command "
              "again to finish", file=sys.stderr)
        return 130
    return 0


def _compare(args) -> int:
    tol = Tolerances(args.atol, args.rtol, args.power_rtol, args.sizing_rtol)
    same, lines = compare_results(read_result(args.a), read_result(args.b), str(args.a), str(args.b), tol)
    sizing_same, sizing_lines = compare_sizing(read_sizing_attrs(args.a), read_sizing_attrs(args.b), tol)
    if sizing_lines:
        lines = lines[:-1] + sizing_lines + ["same" if same and sizing_same else "DIFFERENT"]
    print("\n".join(lines))
    return 0 if same and sizing_same else 1


def _validate(args) -> int:
    report = run_validation(args.output, quick=args.quick)
    print(report.summary())
    if args.junit is not None:
        print(f"wrote {write_junit(report.checks, args.junit, wall_s=report.wall_s)}")
    return 0 if report.passed else 1


def _info(args) -> int:
    print("materials (k in W/m/K at 300 K in-plane/through, cp J/kg/K at 300 K, rho kg/m3):")
    for name, m in sorted(library_materials().items()):
        k_in, k_th = m.k_inplane(300.0), m.k_through(300.0)
        k = f"{k_in:g}" if k_in == k_th else f"{k_in:g}/{k_th:g}"
        tdep = " k(T)" if not m.k_inplane.is_constant else ""
        print(f"  {name:<14} k {k:<10} cp {m.cp(300.0):<6g} rho {m.rho_kg_m3:<7g}{tdep:5}  {m.description}")
        print(f"  {'':<14} source: {m.source}")
    print("\ncoatings (solar absorptance alpha, infrared emittance eps; beginning -> end of life):")
    for name, c in sorted(library_coatings().items()):
        a_eol, e_eol = c.at_end_of_life()
        print(f"  {name:<16} alpha {c.alpha:<5g}-> {a_eol:<5g} eps {c.eps:<5g}-> {e_eol:<5g}  {c.description}")
        print(f"  {'':<16} source: {c.source}")
        print(f"  {'':<16} end of life: {c.eol_source or 'not given (beginning-of-life values stand in)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
