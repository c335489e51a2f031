"""Story tests: what the simulated history of Deir Ezzor 2014-2020 must show, by its sources.

Every test checks one claim of a field report (../shared/seeds, cited as seed-NNN with the
paragraph, a block of text between blank lines counted from the top of the file) or of a
public source in evidence/sources.yaml, paraphrased in the docstring. All tests read ONE
whole-period run of scenarios/deir-ezzor-2014-2020.yaml at reduced scale (``STORY_SCALE``,
default 0.05, seed of the scenario), made once per session. Counts are divided by the scale
(full-scale equivalents) before they are compared with a source's figure.

Tolerances: a rule that the sources state as absolute ("no conscription before 2017") is
checked exactly; a figure is checked against a band argued in the docstring (sampling noise
at 0.05 is about 1/sqrt(count at that scale)). When a test fails on the current rules
because the rules are faithful and the figure is not reached, that is a finding, reported
in docs/calibration.md; the bound is not loosened to make it pass: such a test is marked
``xfail(strict=True)`` with the finding as its reason, so that it fails the suite the day it
passes (and the finding must be revisited).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "deir-ezzor-2014-2020.yaml"
STORY_SCALE = float(os.environ.get("RANKS_STORY_SCALE", "0.05"))

VOLUNTARY = ("belief", "economics", "revenge", "opportunism")
REGIME_CAMP = ("SAA", "NDF", "IRAN", "RUS5")
SHAITAT_TOWNS = ("Abu Hamam", "al-Kishkiyeh", "Gharanij")
#: interdiction reasons meaning "conscripted" (hazard:outcome, or the outcome alone)
CONSCRIPTED_AT = ("conscripted", "checkpoint:conscripted", "patrol:conscripted")


@dataclass
class Story:
    """The run's tables and helpers for full-scale-equivalent counts."""

    events: pd.DataFrame
    stocks: pd.DataFrame
    scale: float
    place_type: dict[str, str]
    place_pop: dict[str, int]

    def count(self, event: str | tuple[str, ...], actor: str | tuple[str, ...] | None = None,
              reason: str | tuple[str, ...] | None = None, start: str | None = None,
              end: str | None = None, place: str | tuple[str, ...] | None = None,
              destination: str | tuple[str, ...] | None = None) -> float:
        """Full-scale equivalent count of events in [start, end) matching the filters."""
        e = self.events
        m = e["event"].isin(_tup(event))
        for col, val in (("actor", actor), ("reason", reason), ("place", place),
                         ("destination", destination)):
            if val is not None:
                m &= e[col].isin(_tup(val))
        if start is not None:
            m &= e["date"] >= _d(start)
        if end is not None:
            m &= e["date"] < _d(end)
        return float(e.loc[m, "count"].sum()) / self.scale

    def series(self, stock: str, actor: str | None = None, place: str | tuple[str, ...] | None
               = None, category: str | None = None) -> pd.Series:
        """A stock summed over the other dimensions, by date (full-scale equivalent for
        counts; shares and indices are returned as they are)."""
        s = self.stocks[self.stocks["stock"] == stock]
        if actor is not None:
            s = s[s["actor"] == actor]
        if place is not None:
            s = s[s["place"].isin(_tup(place))]
        if category is not None:
            s = s[s["category"] == category]
        out = s.groupby("date")["value"].sum()
        out.index = pd.to_datetime(out.index)
        return out

    def mean(self, stock: str, start: str, end: str, scaled: bool = True, **kw) -> float:
        s = self.series(stock, **kw)
        s = s[(s.index >= pd.Timestamp(start)) & (s.index < pd.Timestamp(end))]
        v = float(s.mean()) if len(s) else 0.0
        return v / self.scale if scaled else v


def _tup(v: str | tuple[str, ...]) -> tuple[str, ...]:
    return (v,) if isinstance(v, str) else tuple(v)


def _d(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


@pytest.fixture(scope="session")
def story() -> Story:
    """One whole-period run of the continuous scenario at STORY_SCALE."""
    from ranks.runner import load, run_replicate

    loaded = load(SCENARIO)
    sc = loaded.scenario
    res = run_replicate(loaded, sc.seed, STORY_SCALE, None)
    ev = res.events.copy()
    for c in ("actor", "place", "event", "reason", "destination"):
        ev[c] = ev[c].astype(object)
    st = res.stocks.copy()
    for c in ("stock", "actor", "place", "category"):
        st[c] = st[c].astype(object)
    return Story(ev, st, STORY_SCALE, {p.name: p.type for p in sc.places},
                 {p.name: p.population for p in sc.places})


# -- the six -------------------------------------------------------------------------

def test_s1_no_isis_conscription_before_its_2017_order(story: Story) -> None:
    """seed-000 ¶7 (and ¶13-14): three years after ISIS took Deir Ezzor in 2014 it issued its
    FIRST order to conscript the province's military-age men (August 2017). So before
    2017-08-03 nobody is conscripted or registered for ISIS: not at checkpoints, not after
    detention, not in raids, not when caught fleeing. Exact (a rule property)."""
    before = story.count(("conscripted", "registered"), actor="ISIS", end="2017-08-03")
    by_reason = (story.events[(story.events.event == "conscripted")
                              & (story.events.actor == "ISIS")
                              & (story.events.date < _d("2017-08-03"))]
                 .groupby("reason")["count"].sum() / story.scale).to_dict()
    assert before == 0, f"ISIS conscripted {before:.0f} men before its first order: {by_reason}"
    assert story.count("interdicted", actor="ISIS", reason=CONSCRIPTED_AT,
                       end="2017-08-03") == 0


@pytest.mark.xfail(strict=True, reason=(
    "finding (docs/calibration.md, story findings): about 2,100 executions, twice the bound; caught leavers are many because desertion and the flight module's interceptions of fleeing deserters are large"))
def test_s2_isis_executes_its_own_in_the_hundreds_not_thousands(story: Story) -> None:
    """seed-003 ¶23: ISIS had executed hundreds of its own fighters for trying to flee (in
    all of Syria and Iraq, 2016). pub-sohr-executions: SOHR counted about 415 members
    executed by ISIS in all of Syria by the end of November 2015 (all charges). Members from
    one governorate can account for a part of that: executions by ISIS of its members and
    former members (caught leaving, at checkpoints, in raids, fleeing) from June 2014 to the
    fall of al-Baghuz stay within [20, 1,000] full-scale, and up to 2015-11-30 below the
    Syria-wide 415. The lower bound: executions of deserters are reported locally (14 shot
    near Mayadin, Aug 2015, pub-syriadirect-2015-09)."""
    total = story.count("executed", actor="ISIS", start="2014-06-01", end="2019-04-01")
    early = story.count("executed", actor="ISIS", start="2014-06-01", end="2015-12-01")
    assert 20 <= total <= 1000, f"ISIS executions 2014-06..2019-03: {total:.0f} (full scale)"
    assert early <= 415, f"ISIS executions to Nov 2015: {early:.0f} > SOHR's Syria-wide 415"


@pytest.mark.xfail(strict=True, reason=(
    "finding (docs/calibration.md, story findings): ISIS peaks near 29,400 on 2017-10-08 (about 10,000 before the order, then registrations and arrests of evaders); the joining rates were calibrated under the old rules"))
def test_s3_isis_from_the_governorate_never_above_the_whole_organisation(story: Story) -> None:
    """seed-002 ¶1 and domain-figures: about 30,000 fighters after the caliphate was
    declared (CIA, Sep 2014: 20,000-31,500 in Iraq and Syria); pub-usatoday-2016: 19,000-
    25,000 in Feb 2016; pub-cjtf-2017: about 15,000 in all by spring 2017; pub-coalition-
    dez-2017: 8,500-10,500 in the whole governorate in Sep 2017 (foreigners included).
    ISIS members in the governorate (all assignments) stay below the low end of each
    whole-organisation estimate of the time, and below 10,500 in Sep 2017."""
    s = story.series("strength", actor="ISIS") / story.scale
    bounds = (("2014-06-01", "2016-02-01", 20_000), ("2016-02-01", "2017-03-01", 19_000),
              ("2017-03-01", "2021-01-01", 15_000))
    for start, end, cap in bounds:
        w = s[(s.index >= pd.Timestamp(start)) & (s.index < pd.Timestamp(end))]
        assert w.max() <= cap, (f"ISIS strength {w.max():.0f} on {w.idxmax().date()} above "
                                f"{cap} (whole-organisation estimate of the time)")
    sep17 = story.mean("strength", "2017-09-01", "2017-10-01", actor="ISIS")
    assert sep17 <= 10_500, f"ISIS strength in Sep 2017: {sep17:.0f} > coalition's 10,500"


@pytest.mark.xfail(strict=True, reason=(
    "finding (docs/calibration.md, story findings): with prospects_power 2 voluntary joining in early 2017 is still about two thirds of late 2014's (311 against 464 a month); dollar pay against a collapsing pound and rising hardship keep the economic motive up"))
def test_s4_voluntary_joining_of_isis_dries_up_by_2017(story: Story) -> None:
    """seed-000 ¶27: by 2017 the evader had seen no new members joining ISIS voluntarily;
    it lacked the confidence of its beginnings. seed-002 ¶30: its ranks swelled for months
    after the 2014 takeover. Voluntary joining (belief, economics, revenge, opportunism) of
    ISIS per month in January-July 2017 is at most a tenth of its rate in August-December
    2014 ("none" read as under 10%: a hazard model cannot reach zero, and 003 ¶24's boy
    joined in secret), and after the August 2017 order at most a twentieth."""
    early = story.count("joined", actor="ISIS", reason=VOLUNTARY,
                        start="2014-08-01", end="2015-01-01") / 5
    mid17 = story.count("joined", actor="ISIS", reason=VOLUNTARY,
                        start="2017-01-01", end="2017-08-01") / 7
    late17 = story.count("joined", actor="ISIS", reason=VOLUNTARY,
                         start="2017-08-01", end="2018-01-01") / 5
    assert early > 0
    assert mid17 <= 0.10 * early, (f"ISIS volunteers a month: {early:.0f} in late 2014, "
                                   f"{mid17:.0f} in Jan-Jul 2017")
    assert late17 <= 0.05 * early, f"ISIS volunteers a month after the order: {late17:.0f}"


def _execute_ratio(story: Story, actor: str) -> tuple[float, float]:
    """Executed among caught leavers of ``actor`` (reasons caught_leaving, flight: deserters
    only), and the number caught (full scale)."""
    hows = ("caught_leaving", "flight")
    ex = story.count("executed", actor=actor, reason=hows)
    caught = ex + story.count("detained", actor=actor, reason=hows) + story.count(
        "punished", actor=actor)
    return (ex / caught if caught else 0.0), caught


def test_s5_deserters_of_different_actors_are_punished_differently(story: Story) -> None:
    """seed-003 ¶23 and seed-002 ¶¶10-14: ISIS kills deserters it catches. pub-euaa-
    military-service: the Syrian penal code punishes desertion with prison (death only for going
    over to the enemy), and decrees-desertion-amnesty: four amnesties for deserters and
    evaders, 2015-2019. No source read reports the SDF executing its deserters. So among
    caught leavers the share executed is at least 10% for ISIS, at most 3% for the army,
    and zero for the SDF; and deserters or evaders settle under each amnesty decree."""
    r_isis, n_isis = _execute_ratio(story, "ISIS")
    r_saa, n_saa = _execute_ratio(story, "SAA")
    r_sdf, _ = _execute_ratio(story, "SDF")
    assert n_isis > 0 and n_saa > 0
    assert r_isis >= 0.10, f"ISIS executes {r_isis:.0%} of caught leavers"
    assert r_saa <= 0.03, f"the army executes {r_saa:.0%} of caught deserters"
    assert r_sdf == 0, f"the SDF executes {r_sdf:.0%} of caught deserters"
    for start, end in (("2015-07-25", "2015-08-25"), ("2016-02-17", "2016-03-18"),
                       ("2018-10-09", "2019-02-10"), ("2019-09-15", "2019-12-16")):
        got = story.count(("settled", "returned"), actor="SAA", reason="amnesty",
                          start=start, end=end)
        assert got > 0, f"nobody took the amnesty of {start}"


def test_s6_regime_conscripts_in_every_town_it_holds_after_late_2017(story: Story) -> None:
    """seed-001 ¶¶2-5: the regime's security branches press-gang young men who have not done
    their service and call up reservists, with mobile checkpoints in the city; pub-dez24-
    campaigns and pub-sohr-mayadin-2021: arrests for service in Muhasan, al-Bulayl, Mayadin,
    al-Ashara and Sbeikhan. So every populated place held by the regime camp (army, NDF,
    Iran-backed groups, 5th Corps) for at least 180 days of 2018-2020 sees men conscripted
    into the army there (at least one, full-scale equivalent > 0)."""
    ctl = story.stocks[(story.stocks.stock == "control") & (story.stocks.date >= _d("2018-01-01"))]
    held = ctl[ctl.actor.isin(REGIME_CAMP)].groupby("place")["date"].nunique()
    every = story.stocks.loc[story.stocks.stock == "control", "date"]
    step = (max(every) - min(every)).days / max(every.nunique() - 1, 1)
    places = [p for p, n in held.items() if n * step >= 180 and story.place_pop.get(p, 0) > 0]
    assert len(places) >= 8
    missing = [p for p in places if story.count("conscripted", actor="SAA", place=p,
                                                start="2018-01-01", end="2021-01-01") == 0]
    assert not missing, f"no army conscription 2018-2020 in regime-held {missing}"


# -- further claims ----------------------------------------------------------------------------

def test_s7_escape_not_registration_answered_the_2017_order(story: Story) -> None:
    """seed-000 ¶¶17-18: under the 2017 order parents could neither refuse openly nor keep
    ISIS from taking their sons; escape was the only option people saw. seed-000 ¶6: Ali
    fled. So few of the men named register: registrations under the ISIS order are at most a
    fifth of the men who decided (registered or evaded), evaders outnumber registrants, and
    men flee for fear of conscription in August-September 2017."""
    reg = story.count("registered", actor="ISIS", start="2017-08-01", end="2017-10-01")
    ev = story.count("evaded", actor="ISIS", start="2017-08-01", end="2017-10-01")
    assert reg + ev > 0
    assert reg <= 0.2 * (reg + ev), f"{reg / (reg + ev):.0%} of men named registered"
    fled = story.count("fled", reason=("conscription", "planned"), start="2017-08-01",
                       end="2017-10-01")
    assert fled > 0


def test_s8_pay_drives_isis_desertion_only_after_the_cut(story: Story) -> None:
    """seed-002 ¶21: in 2014 an ISIS salary was a fortune in Deir Ezzor. seed-003 ¶20: pay
    cuts of up to half (late 2015) against rising food prices made men who joined for money
    leave. So before the cut (December 2015) falling pay is the reason of at most 5% of ISIS
    leavers, and in 2016 of at least 10%."""
    leave = ("deserted", "defected")
    before = story.count(leave, actor="ISIS", end="2015-12-01")
    pay_b = story.count(leave, actor="ISIS", reason="pay", end="2015-12-01")
    y16 = story.count(leave, actor="ISIS", start="2016-01-01", end="2017-01-01")
    pay_16 = story.count(leave, actor="ISIS", reason="pay", start="2016-01-01",
                         end="2017-01-01")
    assert before > 0 and y16 > 0
    assert pay_b <= 0.05 * before, f"pay is the reason of {pay_b / before:.0%} before the cut"
    assert pay_16 >= 0.10 * y16, f"pay is the reason of {pay_16 / y16:.0%} in 2016"


def test_s9_isis_training_cut_to_days_after_november_2015(story: Story) -> None:
    """seed-003 ¶25: ISIS used to require a sharia course of 30-45 days and a month of
    military camp; after losing Sinjar (November 2015) it dropped military training and
    required only a few days of religious course. seed-002 ¶24: a 40-day course in 2014. So
    ISIS recruits graduate fully trained before the cut and almost none do from 2016 to the
    2017 order (at most 5%), in the continuous run as well (no reset in 2017)."""
    full_b = story.count("trained", actor="ISIS", reason="full", end="2015-11-15")
    all_a = story.count("trained", actor="ISIS", start="2016-01-01", end="2017-08-01")
    full_a = story.count("trained", actor="ISIS", reason="full", start="2016-01-01",
                         end="2021-01-01")
    assert full_b > 0 and all_a > 0
    assert full_a <= 0.05 * all_a, f"{full_a:.0f} fully trained after the cut"


def test_s10_isis_leavers_head_abroad_or_to_rebels_fearing_reprisals(story: Story) -> None:
    """seed-003 ¶16: a deserter fled to Turkey for fear of reprisals if captured by the
    regime or a rival group; seed-003 ¶4: defectors join moderate rebels or cross into
    Turkey or Jordan; seed-002 ¶¶11-12: the defector paid a smuggler to reach Turkey. So in
    2015-2016 at least 30% of ISIS leavers go abroad or to a rebel-held place, and ISIS
    leavers go abroad more often than army deserters (2015-2020)."""
    leave = ("deserted", "defected")
    e = story.events
    ctl = story.stocks[story.stocks.stock == "control"]
    rebel_places = set(ctl[ctl.actor.isin(("FSA", "TURKEY"))].place)
    abroad = {p for p, t in story.place_type.items() if t == "abroad"}
    isis = story.count(leave, actor="ISIS", start="2015-01-01", end="2017-01-01")
    far = story.count(leave, actor="ISIS", start="2015-01-01", end="2017-01-01",
                      destination=tuple(abroad | rebel_places))
    assert isis > 0
    assert far >= 0.3 * isis, f"{far / isis:.0%} of ISIS leavers abroad or to rebels"

    def abroad_share(actor: str) -> float:
        n = story.count(leave, actor=actor, start="2015-01-01")
        return story.count(leave, actor=actor, start="2015-01-01",
                           destination=tuple(abroad)) / n if n else 0.0

    assert e[(e.event.isin(leave)) & (e.actor == "SAA")]["count"].sum() > 0
    assert abroad_share("ISIS") > abroad_share("SAA"), (
        f"abroad: ISIS {abroad_share('ISIS'):.0%}, army {abroad_share('SAA'):.0%}")


def test_s11_sheitat_massacre_and_exile(story: Story) -> None:
    """seed-002 ¶35 and press-shaitat-2014: more than 700 Sheitat killed in two weeks of
    August 2014 after the tribe's revolt; pub-syriadirect-2014-shaitat: the tribe's towns
    were emptied and their people allowed back from late November 2014 on conditions.
    Massacre deaths in August-December 2014 are 600-1,100 (full scale), the three Sheitat
    towns lose at least 40% of their people between 1 August and 30 September 2014, and
    regain at least half of that loss by the end of March 2015."""
    deaths = story.count("died", reason="massacre", start="2014-08-01", end="2015-01-01")
    assert 600 <= deaths <= 1100, f"massacre deaths {deaths:.0f}"
    ppl = story.series("people", place=SHAITAT_TOWNS) / story.scale

    def at(day: str) -> float:
        return float(ppl[ppl.index <= pd.Timestamp(day)].iloc[-1])

    before, low, back = at("2014-08-01"), at("2014-09-30"), at("2015-03-31")
    assert low <= 0.6 * before, f"Sheitat towns: {before:.0f} -> {low:.0f} by 30 Sep 2014"
    assert back - low >= 0.5 * (before - low), f"{low:.0f} -> {back:.0f} by Mar 2015"


def test_s12_isis_takes_more_boys_as_its_ranks_thin(story: Story) -> None:
    """seed-003 ¶24: ISIS has started recruiting many child soldiers to shore up its
    thinning ranks; in one deserter's unit 60% were under 18. The share of minors among ISIS
    members is higher in Aug 2016-Jul 2017 than in Aug 2014-Jul 2015, and never above the
    60% of that one unit (a ceiling, not a target)."""
    a = story.mean("minors_share", "2014-08-01", "2015-08-01", scaled=False, actor="ISIS")
    b = story.mean("minors_share", "2016-08-01", "2017-08-01", scaled=False, actor="ISIS")
    top = story.series("minors_share", actor="ISIS").max()
    assert b > a, f"minors share {a:.1%} (2014-15) -> {b:.1%} (2016-17)"
    assert top <= 0.6


def test_s13_siege_prices_in_the_city(story: Story) -> None:
    """timeline-shared 2016-01-16 ($2.50 a loaf in the besieged districts), pub-syriadirect-
    2015-11 (rice SYP 3,000, sugar SYP 3,700 a kilo) and pub-albawaba-2015 (bread SYP 3,500
    a kilo against about 100 in Damascus): food in the besieged city cost tens of times its
    2011 price. The food price index (SYP, 2011 = 1) of the city is at least 20 in Nov 2015
    - Jan 2016 and falls after the siege is broken (Sep 2017) to below half of that."""
    siege = story.mean("food_price_index", "2015-11-01", "2016-02-01", scaled=False,
                       place="Deir ez-Zor")
    after = story.mean("food_price_index", "2018-01-01", "2018-07-01", scaled=False,
                       place="Deir ez-Zor")
    assert siege >= 20, f"city food price index in the siege: {siege:.1f}"
    assert after <= 0.5 * siege


def test_s14_isis_raids_for_deserters_are_dozens_not_thousands(story: Story) -> None:
    """seed-004 ¶9: ISIS military police broke into dozens of houses in Deir Ezzor and its
    countryside looking for fleeing fighters. Read generously for a whole year and the whole
    governorate, ISIS raids in 2016 number more than none and at most 2,000 households
    (full scale)."""
    raids = story.count("raid", actor="ISIS", start="2016-01-01", end="2017-01-01")
    assert 0 < raids <= 2000, f"ISIS raids in 2016: {raids:.0f} households"


def test_s15_only_isis_confiscates_the_property_of_escapees(story: Story) -> None:
    """seed-000 ¶26: ISIS answers defections by confiscating the escapees' property. No
    source read reports the army or the SDF doing so. ISIS confiscates in 2015-2017; the army
    and the SDF never do."""
    assert story.count("property_confiscated", actor="ISIS", start="2015-01-01",
                       end="2018-01-01") > 0
    for a in ("SAA", "SDF"):
        got = story.count("property_confiscated", actor=a)
        assert got == 0, f"{a} confiscated the property of {got:.0f} households"


def test_s16_ndf_members_taken_iran_card_holders_spared_in_december_2020(story: Story) -> None:
    """seed-001 ¶¶6-7: in December 2020 the NDF abruptly stopped accepting applications and
    its members were arrested for not having served in the army; ¶¶12-13 and timeline-
    shared 2020-01-11: Iran-backed groups recruit with a card that exempts from compulsory
    service. So in December 2020 NDF strength falls, Iran-backed strength does not fall by
    more than 5%, and nobody joins the NDF after 1 December."""
    ndf = story.series("strength", actor="NDF")
    iran = story.series("strength", actor="IRAN")

    def at(s: pd.Series, day: str) -> float:
        return float(s[s.index <= pd.Timestamp(day)].iloc[-1]) if len(s) else 0.0

    assert at(ndf, "2020-12-31") < at(ndf, "2020-11-30")
    assert at(iran, "2020-11-30") > 0
    assert at(iran, "2020-12-31") >= 0.95 * at(iran, "2020-11-30"), (
        f"Iran-backed strength {at(iran, '2020-11-30'):.0f} -> {at(iran, '2020-12-31'):.0f}")
    assert story.count("joined", actor="NDF", start="2020-12-01") == 0


def test_s17_young_men_join_iran_backed_groups_for_pay_and_protection(story: Story) -> None:
    """seed-001 ¶¶12-13 and timeline-shared 2019-07-25: Iran-backed groups recruit young men
    in Mayadin with pay and the promise of escape from army service. After 2019-07-25 men
    join them at Mayadin, and at least a fifth of Iran-backed joiners come for the
    protection (joining reason coercion_or_amnesty: wanted men and evaders)."""
    assert story.count("joined", actor="IRAN", place="Mayadin", start="2019-07-25") > 0
    n = story.count("joined", actor="IRAN", start="2019-07-25")
    prot = story.count("joined", actor="IRAN", reason="coercion_or_amnesty",
                       start="2019-07-25")
    assert prot >= 0.2 * n, f"{prot / n:.0%} of Iran-backed joiners came for protection"


def test_s18_no_sdf_conscription_in_deir_ezzor_before_december_2020(story: Story) -> None:
    """pub-ric-2020-law and pub-mercycorps-2021: the SDF's self-defence duty was not applied
    in Deir Ezzor until the campaign of December 2020 (timeline-shared 2020-12-20: staff of
    the administration born 1990-2003 listed for duty). No SDF conscription before 2020-12-20
    (exact), some after."""
    assert story.count(("conscripted", "registered"), actor="SDF", end="2020-12-20") == 0
    assert story.count(("conscripted", "registered"), actor="SDF", start="2020-12-20") > 0


@pytest.mark.xfail(strict=True, reason=(
    "finding (docs/calibration.md, story findings): 9% of army stops end in a bribe: many households cannot pay the assumed $500"))
def test_s19_regime_patrols_release_for_bribes(story: Story) -> None:
    """seed-001 ¶10: some regime patrols take large sums for immediate release, which is why
    most young men fled or stayed home. Bribed releases by the army in 2018-2020 happen and
    are at least a tenth of its stops of wanted men (bribed, conscripted or detained at
    checkpoints and in raids)."""
    hows = ("checkpoint", "raid")
    kw = dict(actor="SAA", start="2018-01-01", end="2021-01-01")
    bribed = story.count("bribed_release", **kw)
    stops = bribed + story.count(("conscripted", "detained"), reason=hows, **kw)
    assert stops > 0
    assert bribed >= 0.10 * stops, f"{bribed / stops:.0%} of army stops end in a bribe"


def test_s20_isis_checkpoints_take_men_only_after_the_order(story: Story) -> None:
    """seed-000 ¶¶18, 20-21: after the 2017 order ISIS roadblocks and desert forces stopped
    young men from leaving; minefields lay in the desert. From August to December 2017 ISIS
    conscripts some men caught fleeing, and people die on mines on the way out."""
    assert story.count("interdicted", actor="ISIS", reason=CONSCRIPTED_AT,
                       start="2017-08-01", end="2018-01-01") > 0
    assert story.count("mine_death", start="2017-08-01", end="2018-01-01") > 0


def test_s21_army_pay_collapses_with_the_pound(story: Story) -> None:
    """seed-003 ¶11: army salaries started at $63 a month (2016); pub-reuters-2015-pay: soldiers
    earned SYP 14,000-30,000 (2015); timeline-shared 2020-06-17: the pound fell to about
    2,700 a dollar. Army pay in dollars per member in the second half of 2020 is below half of
    its 2016 level, and in 2016 between $40 and $100."""
    bill = story.series("pay_bill_usd", actor="SAA")
    men = story.series("strength", actor="SAA")
    per = (bill / men.reindex(bill.index)).dropna()

    def mean(start: str, end: str) -> float:
        w = per[(per.index >= pd.Timestamp(start)) & (per.index < pd.Timestamp(end))]
        return float(w.mean())

    y16, y20 = mean("2016-01-01", "2017-01-01"), mean("2020-07-01", "2021-01-01")
    assert 40 <= y16 <= 100, f"army pay per member in 2016: ${y16:.0f}"
    assert y20 <= 0.5 * y16, f"army pay per member: ${y16:.0f} (2016) -> ${y20:.0f} (2020-H2)"


@pytest.mark.xfail(strict=True, reason=(
    "finding (docs/calibration.md, story findings): about 370 ISIS leavers a month in 2016 against at most 300"))
def test_s23_isis_desertion_runs_at_tens_to_hundreds_a_month(story: Story) -> None:
    """seed-004 ¶8: fighters escaped from the battlefields almost every day (Deir Ezzor,
    about 2016); seed-003 ¶4: hundreds of ISIS fighters reportedly defected from Raqqa and
    Aleppo in the single month of March 2016. Leavers of ISIS from this one governorate in
    2016 number more than ten and at most 300 a month on average (full scale)."""
    n = story.count(("deserted", "defected"), actor="ISIS", start="2016-01-01",
                    end="2017-01-01") / 12
    assert 10 <= n <= 300, f"ISIS leavers a month in 2016: {n:.0f}"


def test_s22_isis_pay_halved_in_december_2015(story: Story) -> None:
    """seed-003 ¶20 and timeline-shared 2015-12: ISIS slashed all fighters' salaries by as
    much as half (treasury memo of December 2015); seed-004 ¶¶7, 10: from about 2016 raises
    for those who stay long at the fronts. ISIS cash pay per member in the first half of 2016
    is between 40% and 80% of its level in June-November 2015 (at most half the table,
    partly made up by the raises)."""
    bill = story.series("pay_bill_usd", actor="ISIS")
    men = story.series("strength", actor="ISIS")
    per = (bill / men.reindex(bill.index)).dropna()

    def mean(start: str, end: str) -> float:
        w = per[(per.index >= pd.Timestamp(start)) & (per.index < pd.Timestamp(end))]
        return float(w.mean())

    a, b = mean("2015-06-01", "2015-12-01"), mean("2016-01-01", "2016-07-01")
    assert np.isfinite(a) and a > 0
    assert 0.40 * a <= b <= 0.80 * a, f"ISIS pay per member ${a:.0f} -> ${b:.0f}"
