"""Tests for skdeep.schedules: rate sequences against their formulas and the loop hooks."""

import math
import pickle

import pytest
from numpy.testing import assert_allclose

from skdeep.schedules import (
    SCHEDULES,
    Adaptive,
    Constant,
    Cosine,
    Exponential,
    InvScaling,
    NewBob,
    Schedule,
    Step,
    make_schedule,
)

N_EPOCHS = 12
BATCH = 37  # samples per epoch, so samples_seen differs from the epoch count


def rates(schedule, n_epochs=N_EPOCHS):
    """Return the rates the training loop would set over ``n_epochs`` epochs."""
    return [schedule.rate(epoch, epoch * BATCH) for epoch in range(n_epochs)]


@pytest.mark.parametrize("schedule, formula", [
    pytest.param(Constant(0.3), lambda e, t: 0.3, id="constant"),
    pytest.param(InvScaling(0.3), lambda e, t: 0.3 / (t + 1) ** 0.5, id="invscaling"),
    pytest.param(InvScaling(0.3, power_t=0.25), lambda e, t: 0.3 / (t + 1) ** 0.25,
                 id="invscaling-power"),
    pytest.param(Adaptive(0.3), lambda e, t: 0.3, id="adaptive"),
    pytest.param(Exponential(0.3), lambda e, t: 0.3 * 0.95**e, id="exponential"),
    pytest.param(Exponential(0.3, decay=0.7), lambda e, t: 0.3 * 0.7**e,
                 id="exponential-decay"),
    pytest.param(Step(0.3), lambda e, t: 0.3 * 0.95 ** (e // 10), id="step"),
    pytest.param(Step(0.3, decay=0.5, step_size=3), lambda e, t: 0.3 * 0.5 ** (e // 3),
                 id="step-3"),
    pytest.param(Cosine(0.3, total_epochs=8),
                 lambda e, t: 0.15 * (1 + math.cos(math.pi * min(e, 8) / 8)), id="cosine"),
    pytest.param(NewBob(0.3), lambda e, t: 0.3, id="newbob"),
])
def test_rates_follow_the_formula(schedule, formula):
    expected = [formula(epoch, epoch * BATCH) for epoch in range(N_EPOCHS)]
    observed = rates(schedule)
    assert all(type(rate) is float for rate in observed)
    assert_allclose(observed, expected, rtol=1e-14)


def test_invscaling_matches_sklearn_first_epochs():
    # scikit-learn trains its first epoch at learning_rate_init (t_ = 0).
    schedule = InvScaling(0.1, power_t=0.5)
    assert schedule.rate(0, 0) == 0.1
    assert schedule.rate(1, 99) == pytest.approx(0.01)


@pytest.mark.parametrize("total_epochs", [1, 5, 12])
def test_cosine_reaches_zero_and_stays(total_epochs):
    schedule = Cosine(0.3, total_epochs=total_epochs)
    assert schedule.rate(0, 0) == 0.3
    assert schedule.rate(total_epochs, 0) == 0.0
    assert schedule.rate(total_epochs + 7, 0) == 0.0
    assert schedule.rate(total_epochs - 1, 0) > 0.0


@pytest.mark.parametrize("initial, outcomes, rates_after", [
    (0.01, [False, False, False], [0.002, 0.0004, 0.00008]),
    (1e-5, [False, False, True], [2e-6, 4e-7, 4e-7]),
    (1e-6, [True, True], [1e-6, 1e-6]),
])
def test_adaptive_divides_by_five_until_below_1e_6(initial, outcomes, rates_after):
    schedule = Adaptive(initial)
    observed = [(schedule.plateau(), schedule.rate(9, 900)) for _ in outcomes]
    assert [stop for stop, _ in observed] == outcomes
    assert_allclose([rate for _, rate in observed], rates_after, rtol=1e-14)


def test_adaptive_ignores_epoch_end():
    schedule = Adaptive(0.1)
    schedule.epoch_end()
    schedule.epoch_end()
    assert schedule.rate(2, 0) == 0.1


@pytest.mark.parametrize("events, expected", [
    # Constant through any improvements; halved at the first plateau and after every epoch
    # from then on, whatever the improvements.
    (["epoch", "epoch", "plateau", "epoch", "epoch"], [0.4, 0.4, 0.2, 0.1, 0.05]),
    (["plateau", "epoch", "epoch"], [0.2, 0.1, 0.05]),
    (["epoch", "epoch", "epoch"], [0.4, 0.4, 0.4]),
])
def test_newbob_ramps_from_the_first_plateau(events, expected):
    schedule = NewBob(0.4, factor=0.5)
    seen = []
    for event in events:
        if event == "epoch":
            schedule.epoch_end()
        else:
            assert schedule.plateau() is False
        seen.append(schedule.rate(len(seen), 0))
    assert_allclose(seen, expected, rtol=1e-14)


def test_newbob_stops_at_the_second_plateau():
    schedule = NewBob(0.4)
    assert schedule.plateau() is False
    schedule.epoch_end()
    assert schedule.plateau() is True


@pytest.mark.parametrize("schedule", [
    Constant(0.1), InvScaling(0.1), Exponential(0.1), Step(0.1), Cosine(0.1, 10),
], ids=lambda schedule: type(schedule).__name__)
def test_other_schedules_stop_on_a_plateau(schedule):
    assert schedule.plateau() is True
    assert schedule.rate(0, 0) == 0.1


@pytest.mark.parametrize("cls", [NewBob, Adaptive])
def test_a_new_schedule_starts_from_the_initial_rate(cls):
    # What reset() did: a new fit makes a new schedule, which owes nothing to an old one.
    lowered = cls(0.4)
    lowered.plateau()
    assert lowered.rate(2, 0) < 0.4
    schedule = cls(0.4)
    assert schedule.rate(0, 0) == 0.4
    schedule.epoch_end()
    assert schedule.rate(1, 0) == 0.4


def test_pickle_round_trip_mid_ramp_continues_identically():
    schedule = NewBob(0.4, factor=0.5)
    schedule.epoch_end()
    schedule.plateau()
    clone = pickle.loads(pickle.dumps(schedule))
    schedule.epoch_end()
    clone.epoch_end()
    assert clone.rate(3, 0) == schedule.rate(3, 0) == 0.1


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_every_schedule_pickles(name):
    schedule = make_schedule(name, 0.1, total_epochs=10)
    clone = pickle.loads(pickle.dumps(schedule))
    assert type(clone) is type(schedule)
    assert rates(clone) == rates(schedule)


def test_registry_names():
    assert set(SCHEDULES) == {"constant", "invscaling", "adaptive", "exponential", "step",
                              "cosine", "newbob"}
    assert all(issubclass(cls, Schedule) for cls in SCHEDULES.values())


FLAT = dict(power_t=0.25, decay=0.5, step_size=3, total_epochs=20)


@pytest.mark.parametrize("name, cls, expected", [
    ("constant", Constant, {}),
    ("invscaling", InvScaling, dict(power_t=0.25)),
    ("adaptive", Adaptive, {}),
    ("exponential", Exponential, dict(decay=0.5)),
    ("step", Step, dict(decay=0.5, step_size=3)),
    ("cosine", Cosine, dict(total_epochs=20)),
    ("newbob", NewBob, dict(factor=0.5)),
])
def test_make_schedule_passes_only_what_is_used(name, cls, expected):
    schedule = make_schedule(name, 0.2, **FLAT)
    assert type(schedule) is cls
    assert schedule.initial_rate == 0.2
    assert {key: getattr(schedule, key) for key in expected} == expected


@pytest.mark.parametrize("name, cls", [
    ("invscaling", InvScaling), ("exponential", Exponential), ("step", Step),
    ("newbob", NewBob),
])
def test_make_schedule_none_keeps_the_defaults(name, cls):
    assert vars(make_schedule(name, 0.2)) == vars(cls(0.2))


@pytest.mark.parametrize("name, kwargs, match", [
    ("cosin", {}, r"Unknown schedule 'cosin'.*'adaptive'.*'step'.*Did you mean 'cosine'\?"),
    ("optimal", {}, r"Unknown schedule 'optimal'; expected one of \{'adaptive', 'constant', "
                    r"'cosine', 'exponential', 'invscaling', 'newbob', 'step'\}\.$"),
    ("cosine", {}, r"'cosine' schedule needs total_epochs >= 1; got None"),
    ("cosine", dict(total_epochs=0), r"total_epochs >= 1; got 0"),
])
def test_make_schedule_rejects_bad_arguments(name, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_schedule(name, 0.1, **kwargs)
