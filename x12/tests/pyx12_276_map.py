"""A pyx12 map for the 276 (005010X212), made at test time from pyx12's own maps.

pyx12 4.0.0 ships no 276 map for 5010.  Its 277 X212 map has the same HL tree
(20 -> 21 -> 19 -> 22 -> 23) and the same claim loops, so the 276 map is derived from it:
ST01 276, BHT02 13, BHT06 not used, TRN01 1 in the claim loops, no STC (the 276 asks, it
does not answer), DMG added to 2000D/2000E and AMT*T1 added to 2200D/2200E (both copied
from pyx12's 837P map).  Everything is built in a temporary copy of pyx12's map folder from
the installed package; nothing is read from outside the virtualenv.
"""

from __future__ import annotations

import atexit
import copy
import functools
import shutil
import tempfile
import xml.etree.ElementTree as ET
from importlib.resources import files
from pathlib import Path

MAP_NAME = "276.5010.X212.xml"


def _segments(root: ET.Element, xid: str) -> list[ET.Element]:
    return [s for s in root.iter("segment") if s.get("xid") == xid]


def _set_codes(element: ET.Element, codes: list[str]) -> None:
    vc = element.find("valid_codes")
    if vc is None:
        vc = ET.SubElement(element, "valid_codes")
    for c in list(vc):
        vc.remove(c)
    for code in codes:
        ET.SubElement(vc, "code").text = code


def _element(seg: ET.Element, xid: str) -> ET.Element:
    for e in seg.iter("element"):
        if e.get("xid") == xid:
            return e
    raise KeyError(xid)


def _derive(src_dir: Path) -> ET.ElementTree:
    tree = ET.parse(src_dir / "277.5010.X212.xml")
    root = tree.getroot()
    p837 = ET.parse(src_dir / "837.5010.X222.A1.xml").getroot()
    dmg_src = _segments(p837, "DMG")[0]
    amt_src = next(s for s in _segments(p837, "AMT")
                   if _element(s, "AMT01").findtext("valid_codes/code") == "F5")
    root.set("xid", "276A1")
    root.find("name").text = "HIPAA Health Care Claim Status Request 005010X212 276A1"
    _set_codes(_element(_segments(root, "ST")[0], "ST01"), ["276"])
    bht = _segments(root, "BHT")[0]
    _set_codes(_element(bht, "BHT02"), ["13"])
    _element(bht, "BHT06").find("usage").text = "N"
    for seg in _segments(root, "GS"):
        _set_codes(_element(seg, "GS01"), ["HR"])
        _set_codes(_element(seg, "GS08"), ["005010X212"])
    _nest_like_x214(root)
    for loop in list(root.iter("loop")):
        xid = loop.get("xid")
        if xid in ("2000D", "2000E"):
            hl = loop.find("segment")
            dmg = copy.deepcopy(dmg_src)
            dmg.find("usage").text = "S"
            dmg.find("pos").text = "0400"
            _element(dmg, "DMG03").find("usage").text = "S"
            loop.insert(list(loop).index(hl) + 1, dmg)
        if xid in ("2200D", "2200E"):
            loop.find("usage").text = "S"
            for seg in list(loop.findall("segment")):
                if seg.get("xid") == "STC":
                    loop.remove(seg)
                elif seg.get("xid") == "TRN":
                    _set_codes(_element(seg, "TRN01"), ["1"])
            amt = copy.deepcopy(amt_src)
            amt.find("name").text = "Claim Submitted Charges"
            amt.find("usage").text = "S"
            amt.find("pos").text = "1150"
            _set_codes(_element(amt, "AMT01"), ["T1"])
            dtp = next(s for s in loop.findall("segment") if s.get("xid") == "DTP")
            loop.insert(list(loop).index(dtp), amt)
        if xid in ("2220D", "2220E"):
            for seg in list(loop.findall("segment")):
                if seg.get("xid") == "STC":
                    loop.remove(seg)
    return tree


def _loop(root: ET.Element, xid: str) -> ET.Element:
    return next(lp for lp in root.iter("loop") if lp.get("xid") == xid)


def _nest_like_x214(root: ET.Element) -> None:
    """pyx12's X212 map lists the HL levels side by side in 'TABLE2AREA' wrappers, which its
    walker cannot follow (that is why maps.xml leaves the map out).  Nest each HL level
    inside its parent the way the working X214 map does."""
    st_loop = _loop(root, "ST_LOOP")
    parents = {c: p for p in root.iter() for c in p}
    for xid in ("2200B", "2200C"):
        lp = _loop(root, xid)
        parents[lp].remove(lp)
    chain = ["2000A", "2000B", "2000C", "2000D", "2000E"]
    for parent_xid, child_xid in zip(chain, chain[1:], strict=False):
        child = _loop(root, child_xid)
        parents = {c: p for p in root.iter() for c in p}
        parents[child].remove(child)
        child.find("pos").text = "2000"
        _loop(root, parent_xid).append(child)
    se = _segments(root, "SE")[0]
    parents = {c: p for p in root.iter() for c in p}
    parents[se].remove(se)
    for holder in list(root.iter("loop")):
        for lp in list(holder.findall("loop")):
            if lp.get("xid", "").startswith("TABLE2AREA"):
                holder.remove(lp)
    _segments(root, "ST")[0].find("pos").text = "0050"
    _loop(root, "HEADER").find("pos").text = "0100"
    _loop(root, "DETAIL").find("pos").text = "0200"
    se.find("pos").text = "5550"
    st_loop.append(se)


@functools.cache
def map_dir() -> str:
    """A temporary pyx12 map folder that also knows the 276 (kept for the session)."""
    src = Path(str(files("pyx12").joinpath("map")))
    dst = Path(tempfile.mkdtemp(prefix="pyx12map276-"))
    atexit.register(shutil.rmtree, dst, True)
    for f in src.iterdir():
        if f.is_file():
            shutil.copy(f, dst / f.name)
    _derive(src).write(dst / MAP_NAME, encoding="utf-8", xml_declaration=True)
    index = (dst / "maps.xml").read_text(encoding="utf-8")
    entry = f'    <map vriic="005010X212" fic="HR" abbr="276">{MAP_NAME}</map>\n'
    marker = '<version icvn="00501">'
    assert marker in index
    index = index.replace(marker, marker + "\n" + entry, 1)
    (dst / "maps.xml").write_text(index, encoding="utf-8")
    return str(dst)
