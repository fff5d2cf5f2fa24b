"""Native Excel clustered-column charts: the chart parts and the drawing that places them on a sheet."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from .xlsx_xml import esc, split_ref


@dataclass(frozen=True)
class Chart:
    title: str
    categories: str          # e.g. "Summary!$A$2:$A$6", or "$A$2:$A$6" on the sheet it is drawn on
    values: str              # e.g. "Summary!$B$2:$B$6"
    series_name: str = ""
    anchor: str = "E2"
    kind: str = "bar"        # "bar" (clustered column) or "hbar" (clustered bar)
    width_cols: int = 8
    height_rows: int = 16


NS_C = "http://schemas.openxmlformats.org/drawingml/2006/chart"
NS_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_XDR = "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"


def chart_xml(chart: Chart) -> bytes:
    bar_dir = "bar" if chart.kind in ("hbar", "barh", "horizontal") else "col"
    if chart.series_name:
        tx = f"<c:tx><c:v>{esc(chart.series_name)}</c:v></c:tx>"
        legend = '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
    else:
        tx = ""
        legend = ""
    title = ""
    if chart.title:
        title = ('<c:title><c:tx><c:rich><a:bodyPr/><a:lstStyle/><a:p><a:pPr><a:defRPr b="1"/></a:pPr>'
                 f'<a:r><a:rPr lang="en-US" b="1"/><a:t>{esc(chart.title)}</a:t></a:r></a:p></c:rich></c:tx>'
                 '<c:overlay val="0"/></c:title><c:autoTitleDeleted val="0"/>')
    else:
        title = '<c:autoTitleDeleted val="1"/>'
    cat_pos, val_pos = ("l", "b") if bar_dir == "bar" else ("b", "l")
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<c:chartSpace xmlns:c="{NS_C}" xmlns:a="{NS_A}" xmlns:r="{NS_R}">'
        '<c:roundedCorners val="0"/>'
        f'<c:chart>{title}<c:plotArea><c:layout/>'
        f'<c:barChart><c:barDir val="{bar_dir}"/><c:grouping val="clustered"/><c:varyColors val="0"/>'
        f'<c:ser><c:idx val="0"/><c:order val="0"/>{tx}<c:invertIfNegative val="0"/>'
        f'<c:cat><c:strRef><c:f>{esc(chart.categories)}</c:f></c:strRef></c:cat>'
        f'<c:val><c:numRef><c:f>{esc(chart.values)}</c:f></c:numRef></c:val>'
        '</c:ser><c:gapWidth val="150"/><c:axId val="500000001"/><c:axId val="500000002"/></c:barChart>'
        '<c:catAx><c:axId val="500000001"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{cat_pos}"/><c:numFmt formatCode="General" sourceLinked="1"/>'
        '<c:majorTickMark val="out"/><c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/>'
        '<c:crossAx val="500000002"/><c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/>'
        '<c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
        '<c:valAx><c:axId val="500000002"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
        f'<c:delete val="0"/><c:axPos val="{val_pos}"/><c:majorGridlines/>'
        '<c:numFmt formatCode="General" sourceLinked="1"/><c:majorTickMark val="out"/>'
        '<c:minorTickMark val="none"/><c:tickLblPos val="nextTo"/><c:crossAx val="500000001"/>'
        '<c:crosses val="autoZero"/><c:crossBetween val="between"/></c:valAx>'
        f'</c:plotArea>{legend}<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart>'
        '</c:chartSpace>'
    )
    return xml.encode("utf-8")


def drawing_xml(charts: Sequence[Chart]) -> bytes:
    """The drawing that places ``charts`` on a sheet, each at its anchor; chart k is relationship rId{k}."""
    anchors = []
    for k, chart in enumerate(charts, start=1):
        col, row = split_ref(chart.anchor)
        c0, r0 = col - 1, row - 1
        c1, r1 = c0 + max(1, chart.width_cols), r0 + max(1, chart.height_rows)
        anchors.append(
            '<xdr:twoCellAnchor editAs="oneCell">'
            f'<xdr:from><xdr:col>{c0}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r0}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:from>'
            f'<xdr:to><xdr:col>{c1}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r1}</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to>'
            '<xdr:graphicFrame macro="">'
            f'<xdr:nvGraphicFramePr><xdr:cNvPr id="{k + 1}" name="Chart {k}"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
            '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
            '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/chart">'
            f'<c:chart xmlns:c="{NS_C}" xmlns:r="{NS_R}" r:id="rId{k}"/>'
            '</a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/></xdr:twoCellAnchor>')
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<xdr:wsDr xmlns:xdr="{NS_XDR}" xmlns:a="{NS_A}">' + "".join(anchors) + '</xdr:wsDr>')
    return xml.encode("utf-8")
