"""The ``budget`` section of a scenario: what benefits and the programme cost.

Amounts are euros per person per month unless a field says otherwise. The
accounting itself (``sim.measure.money``) works from client records after the
simulation, so these figures can change without rerunning it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from sim import limits
from sim.language import _
from sim.scenario.numbers import Real, Whole

Euros = Annotated[Real, Field(ge=0, le=limits.MAX_EUROS)]
Share = Annotated[Real, Field(ge=0, le=1)]
Months = Annotated[Real, Field(ge=0, le=limits.MAX_MONTHS)]

#: A calendar month, as ``start`` takes it.
YEAR_MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"

#: Net social assistance norm per month including holiday allowance, on
#: 1 January: (single or single parent, couple). Municipal norm tables and
#: Rijksoverheid; see CALIBRATION.md.
NORMS = {2018: (992.0, 1417.0), 2021: (1075.0, 1536.0), 2023: (1196.0, 1708.0), 2025: (1345.0, 1922.0)}


class _Frozen(BaseModel):
    # As the scenario's: no infinite amounts.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Benefit(_Frozen):
    """Benefit paid per recipient: one amount, or the norm by household type
    mixed by the share of couples."""

    norm_year: Whole = 2021
    single_per_month: Euros | None = None
    couple_per_month: Euros | None = None
    couple_share: Share = 0.0
    per_month: Euros | None = None
    administration_per_month: Euros = 0.0
    # The share of the administration cost that stops when someone leaves
    # assistance: staff costs fall little when a few dozen of a
    # municipality's thousands of cases close. A part-time worker stays a
    # case and saves none of it. Needed with an administration cost: no
    # default can say how much of it a municipality really saves.
    administration_saved_share: Share | None = None
    indexation_per_year: Annotated[Real, Field(ge=-0.5, le=0.5)] = 0.0

    @model_validator(mode="after")
    def _saved_share_with_administration(self) -> Benefit:
        if self.administration_per_month > 0 and self.administration_saved_share is None:
            raise ValueError(_("administration_per_month needs administration_saved_share: the share of it (0 to "
                               "1) that stops when someone leaves assistance (docs/budget.md)"))
        return self

    @property
    def administration_saved_per_month(self) -> float:
        """Administration saved for each month someone is no longer a case."""
        return self.administration_per_month * (self.administration_saved_share or 0.0)

    @field_validator("norm_year")
    @classmethod
    def _known_norm_year(cls, year: int) -> int:
        if year not in NORMS:
            raise ValueError(_("norms are known for {years}, got {year}").format(years=", ".join(map(str, NORMS)),
                                                                                 year=year))
        return year

    @property
    def mean_per_month(self) -> float:
        """Average benefit per recipient in the norm year, before indexation."""
        if self.per_month is not None:
            return self.per_month
        single_norm, couple_norm = NORMS[self.norm_year]
        single = single_norm if self.single_per_month is None else self.single_per_month
        couple = couple_norm if self.couple_per_month is None else self.couple_per_month
        return (1 - self.couple_share) * single + self.couple_share * couple


class PartTimeWork(_Frozen):
    """How much benefit a part-time worker keeps: a share of it, or the
    benefit less their earnings above the earnings exemption."""

    benefit_kept: Share | None = None  # 0.5 when neither this nor earnings is given
    earnings_per_month: Euros | None = None
    exemption_share: Share = 0.25
    exemption_cap_per_month: Euros = 264.0
    exemption_months: Months = 6.0

    @model_validator(mode="after")
    def _one_rule(self) -> PartTimeWork:
        if self.earnings_per_month is not None and self.benefit_kept is not None:
            raise ValueError(_("give benefit_kept or earnings_per_month, not both"))
        return self

    @property
    def kept_share(self) -> float:
        """The share of benefit kept, under the share rule."""
        return 0.5 if self.benefit_kept is None else self.benefit_kept


class Costs(_Frozen):
    """What the programme costs. Places and fixed costs are paid while the
    programme runs, whether used or not."""

    per_participant: Euros = 0.0
    per_place_per_month: Euros = 0.0
    per_stage_month: dict[str, Euros] = Field(default_factory=dict)
    per_placement: Euros = 0.0
    wage_subsidy_per_month: Euros = 0.0
    wage_subsidy_months: Months = 0.0
    fixed_per_month: Euros = 0.0

    @field_validator("per_stage_month")
    @classmethod
    def _stages_exist(cls, costs: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        stage_names = (info.context or {}).get("stage_names")
        unknown = [name for name in costs if stage_names is not None and name not in stage_names]
        if unknown:
            raise ValueError(_("unknown stage '{name}' (expected one of: {expected})").format(
                name=unknown[0], expected=", ".join(stage_names)))
        return costs


class Budget(_Frozen):
    # Where files written before the scenario's own ``start`` kept the
    # calendar month of month 0; read as ``start`` (sim.scenario.schema).
    start: Annotated[str, Field(pattern=YEAR_MONTH_PATTERN)] | None = None
    benefit: Benefit = Field(default_factory=Benefit)
    part_time_work: PartTimeWork = Field(default_factory=PartTimeWork)
    # None: the file gives no costs, so nothing that needs them (NPV, break-
    # even, cost per placement) is estimated; never taken as free.
    costs: Costs | None = None
    programme_until_month: Annotated[Real, Field(gt=0, le=limits.MAX_MONTHS)] | None = None
    # Money is counted until this month (default: the horizon). Past the
    # horizon nobody enters or leaves a stage; jobs, job loss, own jobs and
    # other outflow go on by their own rules.
    count_until_month: Annotated[Real, Field(ge=1, le=limits.MAX_MONTHS)] | None = None
    # By default someone routed to ``exit`` counts in the money as they would
    # have without the programme; true claims their leaving as its effect.
    exits_are_programme_effect: bool = False
    # Yearly price rise for a nominal view of the money per calendar year
    # beside the constant prices of ``benefit.norm_year``.
    price_index_per_year: Annotated[Real, Field(ge=-0.5, le=0.5)] | None = None
    discount_rate: Annotated[Real, Field(ge=0, le=0.5)] = 0.0225

    @model_validator(mode="after")
    def _one_kind_of_prices(self) -> Budget:
        if self.price_index_per_year is not None and self.benefit.indexation_per_year != 0:
            raise ValueError(_("give benefit.indexation_per_year (amounts in each year's euros) or "
                               "price_index_per_year (a nominal view of constant prices), not both"))
        return self

