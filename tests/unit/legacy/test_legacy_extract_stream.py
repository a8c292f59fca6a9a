"""``vool legacy make-extract`` writes its customers as a stream (built and written one by
one, after a light first pass that decides where the dirt goes) and still writes the very
bytes it wrote when it built every customer in memory first."""

from __future__ import annotations

import gc
import hashlib
import weakref
from pathlib import Path

import pytest

from vool.usecases import legacy_extract
from vool.usecases.legacy_extract import Bundle, ExtractBuilder

# the SHA-256 of each file of ``make-extract --customers 300 --seed 7`` and of its delta, as
# written by the former whole-extract-in-memory generator
FULL_300_SEED_7 = {
    "AADRESSID.csv": "84b041b858fb44cb34a9c987c93905e7416adc31a10d4a89abeb1b0aeec5c30d",
    "ARVED.csv": "8978011dadd4d880ce183cfe6a79399851865780d6c62ec6313f34ce10e55e25",
    "ARVESTID.csv": "7f556d27e710ea73adffbc13d4e6fdeefc701dae88b73900694554cf4a5588d0",
    "ARVE_READ.csv": "6c10bed3ecceb5ae177f758604fcb3ccee57b3536cf6e86cee2529f2d68034dc",
    "AVATUD_KANDED.csv": "e966fb4f5508327e491e66295cbc4b92f3367a52ac7cf3db511f7910c13f57fe",
    "BORSIHINNAD.csv": "437747c2b4f55cd95b202e48827dd178cd645f74b36cb18022a5203939bb63d4",
    "HINNAKIRI.csv": "8a48c2a6d973bd5cc220c23c3888c4c4b54aea6262ea507c74e0e13e51a504dd",
    "INTERVALLID.csv": "93f1e45b4e75a90ca09b63c2b1fec718d564693067e0c6f4dee15a5b0fbcdeaa",
    "KLIENDID.csv": "53a6599d6e985a22634a50ebbee0a61195cd5af4e74b6b17c821340c976cf3ef",
    "KOKKULEPPED.csv": "747c0123b4133db80b84c90c10b4fba0fb1e294f1377ef6769dc40704df698a5",
    "LEPINGUD.csv": "7a9b02a23c22e1bc7fb864befe4cb83b1bdc70adb97119fb310da8a564a92240",
    "LEPINGUKONTOD.csv": "6c9eaba24a4241aeada421f413139dafb6bc2c7c563873327c3d11086e69a884",
    "MANIFEST.csv": "fbd26a93b616b0026c1ad9e48f29cddad65ff3b7df02f62d82bbed2ef8533886",
    "MOOTEPUNKTID.csv": "d3c27f8338008db23d6a352899553ba59ca8b4b487ee5b7437649ff32d200cd2",
    "NAIDUD.csv": "52bbdf8eecfc4f4f6db82340ded0a89977018bc0caa403a83c477d80b8d58859",
    "REGISTRID.csv": "40d639b976e10d7eb7cb6fb731a867abea7d42ee09a6e6fffe8c8bdb6ad5a3a8",
    "SALDOD.csv": "801466827aad2377637a5c8fda1065119ffbce8b4a2368a15077dce28b1f90d7",
    "TOOTED.csv": "dc885288b76f6661651a79f38397e879fc0fba25c0b33a710cfffee9b13f9e72",
    "VEERANDTUNNID.csv": "d04a9ea7eb88c9ea08613bbe1b7f738671573b0157d499c97e020b54af11a5c6",
}
DELTA_OF_FULL_300_SEED_7 = {
    "AADRESSID.csv": "a8cabfd47add5b9330f9b8c8d85c9a826ff082c4d8935084d08158837a1a9c1f",
    "ARVED.csv": "9e8f355c34402432583f52326c80fa1c53a9dea700aaf99a8889806335309d22",
    "ARVESTID.csv": "3d5c02278ed40cc1782a565ad946db47fbccf5a1a9b5a2b89d418283b6ec1869",
    "ARVE_READ.csv": "148878c815fd0bec0f4cb20cde956d84ea8ac506aa27aa4222c1af2ba8ff7319",
    "AVATUD_KANDED.csv": "3eb78ccb6d34e5756fa200fa90ca0765224dbb852f65073cc64afe4c5f302832",
    "BORSIHINNAD.csv": "e587b46a11dc4589598ae07f5e3366ef059d475ab093998e2513dca0440d3f13",
    "HINNAKIRI.csv": "8a48c2a6d973bd5cc220c23c3888c4c4b54aea6262ea507c74e0e13e51a504dd",
    "INTERVALLID.csv": "cc5b14e40fc4e43878718e44f0150c4c18dd462377277f3393e78cca8f6b6237",
    "KLIENDID.csv": "0db0989e4c507b4d7d807cb3f0e7eef9f389650dd659efc5e779826f35611467",
    "KOKKULEPPED.csv": "06001cc7ece696b4846241c2f05a337810184b032fd21a1984032d50b6dc0d1f",
    "LEPINGUD.csv": "21e7738b1dc39217b63dc3ff53b1f4babb9f9908cd8cfc7293dd4e787cc8c8ac",
    "LEPINGUKONTOD.csv": "5bcb49980e85f81f95ed4d424d7689d2e4a9ca56726da9d18899935d0731dc48",
    "MANIFEST.csv": "6e4a89f481e04015ac3fbb6b768fdff93859b66b364f8c7afd970a18f4428b9b",
    "MOOTEPUNKTID.csv": "652422619f81f8efdb80fa5a10443f3eedae23bea1040bb11b5682062cf15258",
    "NAIDUD.csv": "aa5bff2af57737acbe95389fa355b128cfe266fc3a3f6c8b1c2f7a86b87df528",
    "REGISTRID.csv": "22420f92257a750fd7cc381c7779ae5303cf135bf8451f96c35b9853facd7b95",
    "SALDOD.csv": "1939768831a76b43ccde68a84bb1ffb8b5eceab9c7f584ff888361603c82b0ec",
    "TOOTED.csv": "dc885288b76f6661651a79f38397e879fc0fba25c0b33a710cfffee9b13f9e72",
    "VEERANDTUNNID.csv": "e80e32a1276bde8cb98321b93f696c287cafe955f12ec6252cff1fde7e28a4fc",
}


def digests(directory: Path) -> dict[str, str]:
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.iterdir())
    }


def test_the_same_bytes_as_the_whole_extract_in_memory(tmp_path: Path) -> None:
    full, delta = tmp_path / "full", tmp_path / "delta"
    legacy_extract.make_extract(directory=full, customers=300, seed=7)
    legacy_extract.make_delta(directory=delta, base=full)
    assert digests(full) == FULL_300_SEED_7
    assert digests(delta) == DELTA_OF_FULL_300_SEED_7


def test_the_probe_tells_each_bundles_shape_as_the_whole_bundle_would() -> None:
    """Person or business, readings or not and the number of points (EICs), from a few
    draws: the same as building the whole bundle says."""
    extract_date = legacy_extract.DEFAULT_EXTRACT_DATE
    builder = ExtractBuilder(customers=400, seed=7, extract_date=extract_date)
    probe = legacy_extract._Probe(customers=400, seed=7, extract_date=extract_date)
    seen = set()
    for index in range(400):
        bundle, shape = builder.bundle(index), probe.shape(index)
        person = bundle.rows["customers"][0][1] == "E"
        assert (shape.person, shape.points) == (person, len(bundle.rows["points"])), index
        assert shape.readings == (person and bool(bundle.rows["readings"])), index
        seen.add((person, len(bundle.rows["accounts"]), shape.readings))
    # every way through the probe: one or two accounts of a person (with readings or not) and
    # of a business
    assert {(True, 1, True), (True, 1, False), (True, 2, True), (False, 1, False)} <= seen
    assert (False, 2, False) in seen and (True, 2, False) in seen


def test_one_customer_in_memory_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    alive: list[weakref.ref[Bundle]] = []
    most = 0
    build = ExtractBuilder.bundle

    def watched(self: ExtractBuilder, index: int) -> Bundle:
        nonlocal most
        gc.collect()
        most = max(most, sum(1 for ref in alive if ref() is not None))
        bundle = build(self, index)
        alive.append(weakref.ref(bundle))
        return bundle

    monkeypatch.setattr(ExtractBuilder, "bundle", watched)
    full = tmp_path / "full"
    legacy_extract.make_extract(directory=full, customers=60, seed=7)
    assert most <= 1
    legacy_extract.make_delta(directory=tmp_path / "delta", base=full)
    assert most <= 1
