"""Pipeline stages: the configured list, and keeping deals in step when it changes.

Stages come from ``[[pipeline.stages]]`` in config.toml (name and probability; the list's
order is the pipeline's order), else the defaults below. ``won`` and ``lost`` are always
there, after the open stages, and are the closed stages. Names are lower case.

config.toml is the user's to edit; crm never writes it. When it stops listing a stage that
deals are in, those deals are "orphaned": listings say so, and :func:`remap_stage` (move
them, recorded in their history) or :func:`rename_stage` (the same stage under its new name,
history included) put them back in a configured stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from sqlite3 import Connection
from typing import TYPE_CHECKING

from crmcli.db import now_stamp, transaction
from crmcli.errors import ConfigError, InvalidInput, NotFound, shown

if TYPE_CHECKING:
    from crmcli.config import Config
    from crmcli.models import Deal

WON, LOST = "won", "lost"
CLOSED = (WON, LOST)
DEFAULT_STAGES = (("lead", 10), ("qualified", 25), ("proposal", 50), ("negotiation", 75),
                  (WON, 100), (LOST, 0))
_STAGE_KEYS = ("name", "probability")


@dataclass(frozen=True)
class Stage:
    name: str
    probability: int  # percent, the default for deals in this stage

    @property
    def closed(self) -> bool:
        return self.name in CLOSED


@dataclass(frozen=True)
class Pipeline:
    """The configured stages: the open ones in order, then won and lost."""

    stages: tuple[Stage, ...]

    @property
    def open(self) -> list[Stage]:
        return [stage for stage in self.stages if not stage.closed]

    def probability_sql(self) -> tuple[str, list]:
        """SQL for an open deal's probability: its own, else its stage's (0 when
        unconfigured), and its parameters."""
        stages = self.open
        whens = " ".join("WHEN ? THEN ?" for _ in stages)
        params = [value for stage in stages for value in (stage.name, stage.probability)]
        return f"coalesce(d.probability, CASE d.stage {whens} ELSE 0 END)", params

    def get(self, name: str) -> Stage | None:
        wanted = name.strip().lower()
        return next((stage for stage in self.stages if stage.name == wanted), None)

    def require(self, name: str) -> Stage:
        stage = self.get(name)
        if stage is None:
            raise InvalidInput(f"no stage {shown(name)}; the stages are "
                               f"{', '.join(s.name for s in self.stages)} (crm deal stages)")
        return stage

    def probability(self, deal: Deal) -> int:
        """The deal's chance in percent: its own, else its stage's; 100 won, 0 lost."""
        stage = self.get(deal.stage)
        if stage is not None and stage.closed:
            return stage.probability
        if deal.probability is not None:
            return deal.probability
        return stage.probability if stage else 0


def load_pipeline(config: Config) -> Pipeline:
    """The stages configured in ``config.raw`` (``[[pipeline.stages]]``), validated."""
    section = config.table("pipeline")
    for key in section:
        if key != "stages":
            raise ConfigError(f"{config.path}: pipeline.{key} is not a setting (only "
                              "[[pipeline.stages]])")
    if "stages" not in section:
        return Pipeline(tuple(Stage(name, p) for name, p in DEFAULT_STAGES))
    entries = section["stages"]
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{config.path}: pipeline.stages must be a list of tables "
                          "([[pipeline.stages]] with name and probability)")
    stages = [_stage(config.path, index, entry) for index, entry in enumerate(entries)]
    return _complete(config.path, stages)


def _stage(path: object, index: int, entry: dict) -> Stage:
    where = f"{path}: pipeline.stages[{index}]"
    unknown = [key for key in entry if key not in _STAGE_KEYS]
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (a stage has name and "
                          "probability)")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip() or not name.isprintable():
        raise ConfigError(f"{where}: name must be a non-empty text such as \"proposal\"")
    probability = entry.get("probability")
    if isinstance(probability, bool) or not isinstance(probability, int) or not (
            0 <= probability <= 100):
        raise ConfigError(f"{where} ({name}): probability must be a whole number from 0 to "
                          f"100, not {probability!r}")
    return Stage(" ".join(name.lower().split()), probability)


def _complete(path: object, stages: list[Stage]) -> Pipeline:
    """Check names and the closed stages' probabilities; add won and lost if not listed."""
    names = [stage.name for stage in stages]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"{path}: pipeline.stages names {name!r} twice")
    for name, probability in DEFAULT_STAGES[-2:]:
        listed = next((stage for stage in stages if stage.name == name), None)
        if listed and listed.probability != probability:
            raise ConfigError(f"{path}: pipeline.stages: {name!r} is a closed stage whose "
                              f"probability is always {probability}")
    open_stages = [stage for stage in stages if not stage.closed]
    if not open_stages:
        raise ConfigError(f"{path}: pipeline.stages needs at least one open stage "
                          "(besides won and lost)")
    return Pipeline((*open_stages, Stage(WON, 100), Stage(LOST, 0)))


# --------------------------------------------------------------------------- deals in stages


def stage_counts(db: Connection) -> dict[str, int]:
    """How many live deals are in each stage name found in the database."""
    return dict(db.execute("SELECT stage, count(*) FROM deals WHERE deleted_at IS NULL"
                           " GROUP BY stage").fetchall())


def orphans(db: Connection, pipeline: Pipeline) -> dict[str, int]:
    """Stages that deals are in but config.toml no longer lists, with their deal counts."""
    return {name: count for name, count in stage_counts(db).items()
            if pipeline.get(name) is None}


# ------------------------------------------------------------------------------ maintenance


def remap_stage(db: Connection, pipeline: Pipeline, old: str, new: str) -> int:
    """Move every deal in stage ``old`` (configured or not) to the configured open stage
    ``new``, recording each move; returns how many moved."""
    old, target = _maintenance_stages(pipeline, old, new)
    when = now_stamp(db)
    with transaction(db):
        ids = [i for (i,) in db.execute("SELECT id FROM deals WHERE stage = ?", [old])]
        if not ids:
            raise NotFound(f"no deal is in stage {old!r}")
        db.execute("UPDATE deals SET stage = ?, updated_at = ? WHERE stage = ?",
                   [target, when, old])
        db.executemany("INSERT INTO deal_stage_changes (deal_id, from_stage, to_stage,"
                       " changed_at) VALUES (?, ?, ?, ?)", [(i, old, target, when) for i in ids])
    return len(ids)


def rename_stage(db: Connection, pipeline: Pipeline, old: str, new: str) -> int:
    """Give stage ``old`` (no longer configured) the name ``new`` (configured) in deals and
    in their history, as if it had always been called so; returns how many deals are in it."""
    old, target = _maintenance_stages(pipeline, old, new)
    if pipeline.get(old) is not None:
        raise InvalidInput(f"{old!r} is still in config.toml: rename it there first, or move "
                           f"its deals with 'crm deal stages remap {old} --to {target}'")
    with transaction(db):
        count = db.execute("UPDATE deals SET stage = ? WHERE stage = ?", [target, old]).rowcount
        renamed = sum(db.execute(f"UPDATE deal_stage_changes SET {column} = ?"
                                 f" WHERE {column} = ?", [target, old]).rowcount
                      for column in ("from_stage", "to_stage"))
        if not renamed:
            raise NotFound(f"no deal is or was in stage {old!r}")
    return count


def _maintenance_stages(pipeline: Pipeline, old: str, new: str) -> tuple[str, str]:
    old = " ".join(old.lower().split())
    target = pipeline.require(new)
    if target.closed or old in CLOSED:
        raise InvalidInput("won and lost deals are closed: reopen them one at a time "
                           "('crm deal reopen ID --stage S')")
    if old == target.name:
        raise InvalidInput(f"{old!r} and {new!r} are the same stage")
    return old, target.name


def stage_records(db: Connection, pipeline: Pipeline) -> list[dict]:
    """The configured stages in order with their deal counts, then stages only deals use."""
    counts = stage_counts(db)
    records = [{"stage": s.name, "probability": s.probability, "closed": s.closed,
                "in_config": True, "deals": counts.get(s.name, 0)} for s in pipeline.stages]
    return records + [{"stage": name, "probability": None, "closed": False, "in_config": False,
                       "deals": count} for name, count in orphans(db, pipeline).items()]
