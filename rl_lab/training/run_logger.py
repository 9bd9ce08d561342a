"""The run's SB3 logger (TensorBoard events and ``progress.csv``), continuing a resumed run's logs.

On resume, what the killed process logged after its last checkpoint is dropped: ``progress.csv``
keeps only rows up to the checkpoint's step, and the new TensorBoard event file starts with a
``purge_step`` marker, so TensorBoard discards the orphaned points beyond it (its own mechanism
for restarted jobs). The resumed curves then continue exactly where an uninterrupted run's would.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from stable_baselines3.common.logger import CSVOutputFormat, Logger, TensorBoardOutputFormat
from torch.utils.tensorboard import SummaryWriter

from rl_lab.runs import atomic

PROGRESS = "progress.csv"
STEP_COLUMN = "time/total_timesteps"


class _ResumedTensorBoard(TensorBoardOutputFormat):
    def __init__(self, folder: str, purge_step: int) -> None:
        self.writer = SummaryWriter(log_dir=folder, purge_step=purge_step)
        self._is_closed = False


class _AppendingCSV(CSVOutputFormat):
    def __init__(self, path: Path) -> None:
        self.file = path.open("r+t")
        header = self.file.readline().rstrip("\n")
        self.keys = header.split(",") if header else []
        self.file.seek(0, io.SEEK_END)
        self.separator = ","
        self.quotechar = '"'


def _keep_rows_up_to(path: Path, step: int) -> None:
    if not path.is_file():
        path.write_text("")
        return
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        return
    header, body = rows[0], rows[1:]
    column = header.index(STEP_COLUMN) if STEP_COLUMN in header else None
    kept = [row for row in body if column is None or not row[column] or float(row[column]) <= step]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *kept])
    atomic.write_text(path, buffer.getvalue())


def run_logger(run_dir: Path, resume_step: int | None = None) -> Logger:
    """A logger writing TensorBoard events and ``progress.csv`` into ``run_dir``; with
    ``resume_step``, continuing the logs of a run resumed from a checkpoint at that step (whose
    own logs at that step were written before the checkpoint, so only later ones are dropped)."""
    if resume_step is None:
        formats = [TensorBoardOutputFormat(str(run_dir)), CSVOutputFormat(str(run_dir / PROGRESS))]
    else:
        _keep_rows_up_to(run_dir / PROGRESS, resume_step)
        formats = [_ResumedTensorBoard(str(run_dir), resume_step + 1), _AppendingCSV(run_dir / PROGRESS)]
    return Logger(folder=str(run_dir), output_formats=formats)
