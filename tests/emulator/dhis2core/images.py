"""Stand-ins for the PNG files DHIS2's tests upload (generated, same pixel sizes).

dhis-test-web-api's ``file/dhis2.png`` is 1200x364; dhis-test-e2e's ``fileResources/dhis2.png``,
``dhis3.png``, ``org_unit.png`` and ``user_avatar.png`` and the e2e ``dhis2.png`` are 160x100.
What the tests check (accepted, resized, three growing scaled copies) does not depend on the
pixels, so each is drawn here rather than copied.
"""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def png(width: int, height: int, seed: int = 0) -> bytes:
    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    for i in range(0, width, 8):  # stripes, so that scaled copies differ in size as well
        draw.line([(i, 0), (width - i, height)], fill=((i * 7 + seed) % 256, 90, 160), width=3)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


# dhis-test-web-api: src/test/resources/file/dhis2.png
WEB_API_DHIS2_PNG = png(1200, 364)
# dhis-test-e2e: src/test/resources/fileResources/{dhis2,dhis3,org_unit,user_avatar}.png
E2E_DHIS2_PNG = png(160, 100, 1)
E2E_DHIS3_PNG = png(160, 100, 2)
E2E_ORG_UNIT_PNG = png(160, 100, 3)
E2E_USER_AVATAR_PNG = png(160, 100, 4)
