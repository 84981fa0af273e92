"""Checks that read like Brå's advice and the law's words: the action plan answers the
lägesbild (Lag 2023:196 om kommuners ansvar för brottsförebyggande arbete, § 4;
Brå's five steps: problem, cause, measure with someone responsible, a time and a
measurable goal, follow-up).

They apply to a municipality that keeps Brå's action-plan table (a `measures` block);
a draft shows them as warnings, a final document is refused while any remains (they
are part of `validate.final_problems`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from . import model as m
from .config import Source, dotted
from .errors import Problem
from .indicators import numbered_measures, problem_of
from .messages import N_, FieldRef, Msg, Quoted
from .validate import Bundle, document_blocks

ANALYSIS_WORD = "analys"  # a lägesbild section whose heading has it is the analysis (§ 4)


def problems(bundle: Bundle) -> list[Problem]:
    """Every place where the action plan does not yet follow Brå's model or the law."""
    plans = list(_measures_blocks(bundle))
    if not plans:
        return []
    found: list[Problem] = []

    def say(source: Source, path: tuple[Any, ...], message: Msg) -> None:
        found.append(Problem(source.path, source.line_of(path), dotted(path), message))

    known = _lagesbild_problems(bundle)
    answered: set[str] = set()
    for name, block, path in plans:
        source = bundle.sources[name]
        period = _period(bundle, bundle.documents[name])
        for number, cause, measure, sub in numbered_measures(block.measures):
            here = (*path, "measures", *sub)
            shown = Quoted(measure.measure)
            problem = problem_of(cause, measure)
            if problem is None:
                say(source, here, Msg(N_(
                    "measure {number} {measure} answers no problem in the lägesbild: name "
                    "the problem under {field} of the measure or of its cause (Brå: every "
                    "measure answers a problem and its cause in the lägesbild)"),
                    number=number, measure=shown,
                    field=FieldRef("document", (*here, "problem"), leaf=True)))
            elif problem not in known:
                at = (*here, "problem") if measure.problem else (*path, "measures", *sub[:2],
                                                                  "problem")
                say(source, at, Msg(N_(
                    "measure {number} {measure} names the problem {problem!r}, which no "
                    "section of the lägesbild has as its problem id (Brå: the measures "
                    "answer the problems the lägesbild found)"),
                    number=number, measure=shown, problem=problem))
            else:
                answered.add(problem)
            _measure_parts(say, source, here, number, measure, bundle.statistics, period)
    for problem_id, (source, path) in known.items():
        section = _section_at(bundle, source, path)
        if problem_id not in answered and not (section and section.no_measure_reason):
            say(source, (*path, "problem_id"), Msg(N_(
                "the problem {problem!r} has no measure in the action plan and no stated "
                "reason: link a cause or measure to it, or say why under {field} (Brå: "
                "every problem the lägesbild finds is either met by a measure or set "
                "aside for a stated reason)"),
                problem=problem_id, field=FieldRef("document", (*path, "no_measure_reason"),
                                                   leaf=True)))
    _indicators(say, bundle)
    _analysis(say, bundle)
    return found


def _measures_blocks(bundle: Bundle) -> Iterator[tuple[str, m.MeasuresBlock, tuple[Any, ...]]]:
    for name, doc in bundle.documents.items():
        if doc.type == "follow_up":  # a follow-up reports on last year's plan as it was
            continue
        for block, path in document_blocks(doc):
            if isinstance(block, m.MeasuresBlock):
                yield name, block, path


def _sections(sections: list[m.Section], path: tuple[Any, ...]
              ) -> Iterator[tuple[m.Section, tuple[Any, ...]]]:
    for i, section in enumerate(sections):
        here = (*path, i)
        yield section, here
        yield from _sections(section.sections, (*here, "sections"))


def _lagesbild_problems(bundle: Bundle) -> dict[str, tuple[Source, tuple[Any, ...]]]:
    """Problem id -> (file, path of its section), from every lägesbild."""
    known: dict[str, tuple[Source, tuple[Any, ...]]] = {}
    for name, doc in bundle.documents.items():
        if doc.type != "situation_report":
            continue
        for section, path in _sections(doc.sections, ("sections",)):
            if section.problem_id:
                known.setdefault(section.problem_id, (bundle.sources[name], path))
    return known


def _section_at(bundle: Bundle, source: Source, path: tuple[Any, ...]) -> m.Section | None:
    for name, doc in bundle.documents.items():
        if bundle.sources.get(name) is source:
            return next((s for s, p in _sections(doc.sections, ("sections",)) if p == path),
                        None)
    return None


def _period(bundle: Bundle, doc: m.Document) -> tuple[dt.date, dt.date, str]:
    """The time a measure must lie within: the plan's year, else the agreement's period."""
    if doc.year is not None:
        return dt.date(doc.year, 1, 1), dt.date(doc.year, 12, 31), str(doc.year)
    period = bundle.municipality.period
    return (dt.date(period.start, 1, 1), dt.date(period.end, 12, 31),
            f"{period.start}\u2013{period.end}")


def _measure_parts(say: Any, source: Source, here: tuple[Any, ...], number: str,
                   measure: m.Measure, stats: m.Statistics,
                   period: tuple[dt.date, dt.date, str]) -> None:
    shown = Quoted(measure.measure)
    if measure.party is None or not measure.function.strip():
        missing = "party" if measure.party is None else "function"
        say(source, (*here, missing), Msg(N_(
            "measure {number} {measure} has no owner: name the responsible party and "
            "function (Brå: every measure has someone responsible for it)"),
            number=number, measure=shown))
    if measure.due is None and not measure.when.strip():
        say(source, (*here, "due"), Msg(N_(
            "measure {number} {measure} has no time: give the date it is to be done by "
            "(Brå: every measure has a time within the plan's period)"),
            number=number, measure=shown))
    for key in ("start", "due"):
        day = getattr(measure, key)
        if day is not None and not period[0] <= day <= period[1]:
            say(source, (*here, key), Msg(N_(
                "measure {number} {measure}: {date} is outside the plan's period {period} "
                "(Brå: every measure has a time within the plan's period)"),
                number=number, measure=shown, date=day.isoformat(), period=period[2]))
    if measure.indicator is None:
        say(source, (*here, "indicator"), Msg(N_(
            "measure {number} {measure} has no measurable indicator: name one of the "
            "indicators in the statistics (Brå: every measure has a measurable goal that "
            "is followed up)"), number=number, measure=shown))
    elif measure.indicator not in stats.indicators:
        say(source, (*here, "indicator"), Msg(N_(
            "measure {number} {measure} names the indicator {indicator!r}, which is not "
            "among the indicators in the statistics"),
            number=number, measure=shown, indicator=measure.indicator))


def _indicators(say: Any, bundle: Bundle) -> None:
    source = bundle.sources.get("statistics")
    if source is None:
        return
    for key, indicator in bundle.statistics.indicators.items():
        here = ("indicators", key)
        shown = Quoted(indicator.what)
        if indicator.baseline is None:
            say(source, (*here, "baseline"), Msg(N_(
                "the indicator {what} has no baseline (a value and its year) (Brå: the "
                "follow-up compares with where the work started)"), what=shown))
        if indicator.target is None:
            say(source, (*here, "target"), Msg(N_(
                "the indicator {what} has no target (a value and the year to reach it) "
                "(Brå: a measurable goal says what is to be reached, and by when)"),
                what=shown))
        if indicator.table is not None and indicator.table not in bundle.statistics.tables:
            say(source, (*here, "table"), Msg(N_(
                "the indicator {what} reads its values from the table {table!r}, which "
                "the statistics do not have"), what=shown, table=indicator.table))


def _analysis(say: Any, bundle: Bundle) -> None:
    for name, doc in bundle.documents.items():
        if doc.type != "situation_report":
            continue
        if not any(ANALYSIS_WORD in section.heading.lower()
                   for section, _path in _sections(doc.sections, ("sections",))):
            say(bundle.sources[name], ("sections",), Msg(N_(
                "the lägesbild has no analysis section: add a section whose heading names "
                "the analysis, e.g. 'Analys' (Lag 2023:196 § 4: the lägesbild holds an "
                "analysis of the crime, its extent and its consequences)")))
