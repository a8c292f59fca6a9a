"""The fast V2 reader gives exactly what the general reader gives, and leaves every file it
does not fully recognise (or that has a problem) to the general reader."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vool.integrations.datahub import metering_data, v2_fast
from vool.integrations.datahub.metering_data import InvalidMeteringFile

EIC = "38ZEE-00625607-9"
OTHER = "38ZEE-1000009--Z"


def period(minute: int, out: str, inn: str, net_out: str, net_in: str, r: str = "M") -> str:
    hour, minute = divmod(minute, 60)
    return (
        f'{{"pS":"2026-11-01T{hour:02d}:{minute:02d}:00+02:00","rTime":"2026-11-02T07:12:00Z",'
        f'"inQty":{{"rType":"M","kwh":{inn}}},"outQty":{{"rType":"{r}","kwh":{out}}},'
        f'"netQtyIn":{net_in},"netQtyOut":{net_out}}}'
    )


def compact(points: dict[str, list[str]]) -> bytes:
    return (
        "["
        + ",".join(
            f'{{"meteringPointEic":"{eic}","periods":[{",".join(ps)}]}}'
            for eic, ps in points.items()
        )
        + "]"
    ).encode()


SAMPLE = {
    EIC: [
        period(0, "0.250", "0", "0.250", "0"),
        period(15, "0.1", "0.300", "0", "0.200", r="E"),
        period(30, "12", "1.5", "10.5", "0"),
    ],
    OTHER: [period(45, "0", "0.005", "0", "0.005")],
}


def columns(data: metering_data.MeteringData) -> list[tuple[object, ...]]:
    rows = zip(
        [data.series[k] for k in data.series_index],
        data.start_s.tolist(),
        data.wh.tolist(),
        data.estimated.tolist(),
        [data.locate(i) for i in range(len(data))],
        strict=True,
    )
    return sorted(rows)


class TestSameAsTheGeneralReader:
    def test_gross_net_and_locations_match(self) -> None:
        content = compact(SAMPLE)
        fast = metering_data.parse_json(content)
        general = metering_data.parse_json(json.dumps(json.loads(content), indent=1))
        assert v2_fast.read_compact_v2(content, utc_seconds=lambda t: 0) is not None
        assert columns(fast) == columns(general)
        assert fast.net is not None and general.net is not None
        assert columns(fast.net) == columns(general.net)
        assert columns(fast)[0][4] == "point 1 (38ZEE-00625607-9) periods[0]"

    def test_separators_between_points_may_carry_whitespace(self) -> None:
        content = compact(SAMPLE).replace(b"]},{", b"]},\n  {")
        assert v2_fast.read_compact_v2(content, utc_seconds=lambda t: 0) is not None


def not_fast(content: bytes) -> bool:
    seconds = lambda t: metering_data._utc_seconds(t, {})  # noqa: E731
    return v2_fast.read_compact_v2(content, utc_seconds=seconds) is None


class TestLeftToTheGeneralReader:
    @pytest.mark.parametrize(
        "text",
        [
            period(0, "0.1", "0", "0.2", "0"),  # net OUT above OUT
            period(0, "0.3", "0.3", "0.1", "0.1"),  # both net quantities above zero
            period(0, "0.1234", "0", "0.1", "0"),  # four decimals
            period(0, "-0.1", "0", "0", "0"),  # negative
            period(0, "01", "0", "0", "0"),  # not a JSON number
            period(0, "1e3", "0", "0", "0"),  # an exponent
            period(10, "0.1", "0", "0.1", "0"),  # off the quarter-hour grid
        ],
    )
    def test_a_value_with_a_problem(self, text: str) -> None:
        assert not_fast(compact({EIC: [text]}))

    def test_the_general_reader_then_names_the_problem(self) -> None:
        with pytest.raises(InvalidMeteringFile) as caught:
            metering_data.parse_json(compact({EIC: [period(0, "0.1", "0", "0.2", "0")]}))
        assert "netQtyOut" in str(caught.value.errors[0])

    @pytest.mark.parametrize(
        "content",
        [
            b"[]",
            compact(SAMPLE) + b"x",
            compact(SAMPLE).replace(b"]},{", b"]},,{"),
            compact(SAMPLE).replace(b'"rType":"E"', b'"rType":"X"'),
            compact(SAMPLE).replace(b'"periods":[', b'"extra":1,"periods":['),
            compact(SAMPLE).replace(b"},{", b"},,{", 1),  # an empty element
            compact(SAMPLE).replace(b"},{", b"}{", 1),  # a missing comma
            compact(SAMPLE).replace(b"},{", b"}, {", 1),  # not the compact form
            compact(SAMPLE).replace(b'[{"pS"', b'[1,{"pS"', 1),  # something else in periods
            compact(SAMPLE).replace(b"}]}", b"},2]}", 1),
            compact({EIC: []}),
            compact({EIC: [p.replace('"netQtyIn"', '"netInQty"') for p in SAMPLE[EIC]]}),
        ],
    )
    def test_a_document_not_entirely_of_the_compact_shape(self, content: bytes) -> None:
        assert not_fast(content)

    def test_a_time_without_a_zone_is_explained_by_the_general_reader(self) -> None:
        content = compact({EIC: [period(0, "0.1", "0", "0.1", "0")]}).replace(b"+02:00", b"", 1)
        with pytest.raises(InvalidMeteringFile, match="has no time zone"):
            metering_data.parse_json(content)


def test_the_columns_are_numpy_of_the_general_types() -> None:
    fast = metering_data.parse_json(compact(SAMPLE))
    assert fast.start_s.dtype == np.int64 and fast.estimated.dtype == np.uint8


# --- the fast reader against the general one on generated compact documents ---------------

EDGE_KWH = ["0", "0.5", "0.500", "123456.789", "12", "0.001", "999999", "1.25", "100.000"]


def kwh_text(wh: int, style: int) -> str:
    """``wh`` as kWh text: an integer when whole and asked, else with 1-3 decimals (those
    the value needs, padded to the asked number)."""
    whole, frac = divmod(wh, 1000)
    if style == 0 and frac == 0:
        return str(whole)
    digits = f"{frac:03d}".rstrip("0") or "0"
    return f"{whole}.{digits.ljust(max(style, len(digits)), '0')[:3]}"


@st.composite
def a_period(draw: st.DrawFn, minute: int) -> tuple[str, bool | None]:
    """A compact V2 period and whether it is one both readers must read (``True``), one
    with a problem (``False``), or one with edge values that may contradict (``None``)."""
    out_wh = draw(st.integers(0, 999_999_999) | st.sampled_from([0, 500, 1000]))
    in_wh = draw(st.integers(0, 5_000) | st.sampled_from([0, 123_456_789]))
    net = out_wh - in_wh
    net_out, net_in = max(net, 0), max(-net, 0)
    good: bool | None = True
    if draw(st.integers(0, 30)) == 0:  # a contradiction: net above gross, or both nets
        net_out, net_in, good = out_wh + 1, max(in_wh, 1), False
    texts = [kwh_text(v, draw(st.integers(0, 3))) for v in (in_wh, out_wh, net_in, net_out)]
    if draw(st.integers(0, 4)) == 0:
        texts[draw(st.integers(0, 3))] = draw(st.sampled_from(EDGE_KWH))
        # the values may now contradict, or no longer (an edge value can undo a contradiction
        # drawn above): the general reader decides
        good = None
    if draw(st.integers(0, 40)) == 0:
        bad = ["01", "0.1234", "1e3", "-1", ".5", "1.", "1234567", '"1"', "1 "]
        texts[draw(st.integers(0, 3))] = draw(st.sampled_from(bad))
        good = False
    off_grid = draw(st.integers(0, 40)) == 0
    hour, rest = divmod(minute + (7 if off_grid else 0), 60)
    r_time = draw(st.sampled_from(["", ',"rTime":"2026-11-02T07:12:00Z"', ',"rTime":""']))
    kinds = draw(st.sampled_from(["MM", "ME", "EM", "EE"]))
    text = (
        f'{{"pS":"2026-11-01T{hour:02d}:{rest:02d}:00+02:00"{r_time},'
        f'"inQty":{{"rType":"{kinds[0]}","kwh":{texts[0]}}},'
        f'"outQty":{{"rType":"{kinds[1]}","kwh":{texts[1]}}},'
        f'"netQtyIn":{texts[2]},"netQtyOut":{texts[3]}}}'
    )
    return text, False if off_grid else good


@st.composite
def a_document(draw: st.DrawFn) -> tuple[bytes, bool | None]:
    points = {}
    good: bool | None = True
    for i in range(draw(st.integers(1, 3))):
        periods = []
        for q in range(draw(st.integers(1, 4))):
            text, ok = draw(a_period(minute=15 * q))
            periods.append(text)
            good = False if ok is False or good is False else good and ok
        points[f"38ZEE-0000000{i}-X"] = periods
    return compact(points), good


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a_document())
def test_the_fast_reader_reads_what_the_general_reader_reads(
    doc: tuple[bytes, bool | None],
) -> None:
    content, good = doc
    fast = v2_fast.read_compact_v2(content, utc_seconds=lambda t: metering_data._utc_seconds(t, {}))
    spaced = content.replace(b',"', b', "')  # the same document, not compact: general reader
    try:
        general = metering_data.parse_json(spaced)
    except InvalidMeteringFile:
        general = None
    if good is False or general is None:
        assert fast is None
        return
    if good:
        assert fast is not None
    if fast is None:
        return
    read = metering_data.parse_json(content)
    assert read.net is not None and general.net is not None
    assert columns(read) == columns(general)
    assert columns(read.net) == columns(general.net)
    assert read.start_s.dtype == general.start_s.dtype and read.wh.dtype == general.wh.dtype
