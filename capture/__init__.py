"""A phone-capture simulator: turns a page with ground truth into what a phone's document scanner
outputs after it has found and rectified the page (docs/photos.md).

`params` draws every page's parameters from (seed, page id); `geometry` warps the image and maps
boxes exactly; `photometric` lights, blurs, adds noise and colour; `simulate` runs the whole
pipeline; `photoset` builds a photo set from a page set; `sheet` renders the contact sheet.
"""

from capture.params import SIMULATOR_VERSION, CaptureParams, draw_params

__all__ = ["SIMULATOR_VERSION", "CaptureParams", "draw_params"]
