"""The collections chart's geometry: a readable axis top, stacked channels, labels, the peak."""
from datetime import date, timedelta

from hypothesis import example, given, strategies as st

from web.finance_chart import BOTTOM, HEIGHT, TOP, build_chart, nice_ceiling

CHANNELS = ["vietqr_transfer", "pos_card", "internet_banking", "cash"]


def series(amounts: list[dict[str, int]], last=date(2026, 11, 24)):
    return [(last - timedelta(days=len(amounts) - 1 - n), a) for n, a in enumerate(amounts)]


def test_the_axis_top_is_a_round_amount_at_least_the_highest_day():
    assert [nice_ceiling(v) for v in (0, 1, 7, 150_000, 170_000, 2_400_000, 2_600_000, 10_000_000)] == [
        100_000, 1, 10, 200_000, 200_000, 2_500_000, 5_000_000, 10_000_000]


def test_channels_stack_bottom_up_in_the_given_order_and_the_peak_day_is_named():
    chart = build_chart(series([{}] * 28 + [{"cash": 50_000, "vietqr_transfer": 150_000}, {"pos_card": 20_000}]),
                        CHANNELS)
    assert len(chart.bars) == 30 and chart.total_vnd == 220_000 and chart.peak == (date(2026, 11, 23), 200_000)
    busy = chart.bars[28]
    assert [s.channel for s in busy.segments] == ["vietqr_transfer", "cash"]
    transfer, cash = busy.segments
    assert transfer.y + transfer.height == HEIGHT - BOTTOM and cash.y + cash.height == transfer.y
    assert round(cash.y, 1) == TOP  # 200.000 ₫ fills the plot up to the axis top
    assert [label for _, label in chart.labels][-1] == "24/11" and [a for _, a in chart.ticks] == [0, 100_000, 200_000]


def test_an_empty_month_draws_an_empty_axis():
    chart = build_chart(series([{}] * 30), CHANNELS)
    assert chart.peak is None and all(not bar.segments for bar in chart.bars) and chart.ticks[-1][1] == 100_000


@given(st.lists(st.dictionaries(st.sampled_from(CHANNELS), st.integers(1, 10**9)), min_size=1, max_size=31))
@example([{"vietqr_transfer": 11325, "pos_card": 88676}])  # two heights rounded up had left the plot
def test_no_bar_ever_leaves_the_plot_and_its_segments_touch(amounts):
    chart = build_chart(series(amounts), CHANNELS)
    for bar in chart.bars:
        below = HEIGHT - BOTTOM
        for segment in bar.segments:
            assert TOP - 1e-9 <= segment.y and abs(segment.y + segment.height - below) < 1e-9
            below = segment.y
