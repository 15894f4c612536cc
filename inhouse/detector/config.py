"""Every tunable number of the Word Detector, in one place (see docs/inhouse-detector.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class DetectorConfig:
    # --- working scale: pages are resized so that text is about this tall (pixels) ---
    target_text_height: float = 14.0
    probe_max_side: int = 1200  # quick first pass that estimates the text height
    min_scale: float = 0.4
    max_scale: float = 3.0
    # --- MSER (OpenCV): dark-on-light and light-on-dark regions in one pass over the gray page ---
    # a region must hold its shape over this many grey levels: 7, up from 4, chosen on 40 train pages per
    # category and their photos (aligned CER .1545 -> .1441, 103 pages better, 48 worse; photo forms
    # .182 -> .163, clean receipts .100 -> .086, photo receipts .174 -> .179: benchmarks/inhouse_ab.py
    # ... --variant mser_delta=7 --out mser_delta7_train40; 5/6/8 on 20 pages: .1295/.1268/.1256)
    mser_delta: int = 7
    # a region this small or smaller is no character: 6, down from 10, chosen at delta 7 on 40 train pages per
    # category and their photos (aligned CER .1441 -> .1421, 78 pages better, 37 worse; photo receipts .179 ->
    # .174; 4: .1418 with 49 worse): benchmarks/inhouse_ab.py ... --variant mser_min_area=6 --out mser_min_area_train40
    mser_min_area: int = 6
    mser_max_area_fraction: float = 0.005
    mser_max_variation: float = 0.8
    mser_min_diversity: float = 0.0  # keep nested regions: clean print is one long plateau; the mask unions them
    mser_sharpen: float = 0.0  # an unsharp mask (sigma 1) of this amount on MSER's input; 0: the page as it is
    # --- a second detection for soft pages: where the first pass's print has a median contrast of
    # `sharpened_detection_max_contrast` grey levels or less (0: never), the engine detects the page
    # again with `mser_sharpen` = `sharpened_detection_amount`, reads both, and keeps the reading
    # expected to get more characters right (inhouse/second_detection.py). 60, below the faint pass's
    # 70, chosen on train only: held-out train pages and photos (seeds 0, 1) photo receipts .1110 ->
    # .0995 (2 better, 0 worse), 30 fine-tuning pages per category and photo category .1310 -> .1279
    # (3/0), every other category untouched on both; at 70 a clean receipt and a form photo got worse;
    # ungated, held-out clean receipts +0.17 pt and fine-tuning form photos +0.22 pt
    # (benchmarks/inhouse_ab.py ... --holdout --variant sharpened_detection_max_contrast=60 --out
    # sharpened_detection_holdout; lab notebook "sharpened-detection")
    sharpened_detection_max_contrast: float = 60.0
    sharpened_detection_amount: float = 1.0
    # --- a second, fainter MSER pass for soft print (blurred or faded receipts), on pages whose first-pass
    # print is itself soft: median contrast of up to 256 of its components `faint_max_page_contrast` grey
    # levels or less (crisp pages lose no print to the first pass, and there the second MSER would cost a
    # quarter of the engine's pages per second). Its components that touch no first-pass component and have
    # at least `faint_min_contrast` x that median contrast are strung into words of their own, if they add
    # at least `faint_min_gain` x the first pass's count; such a word is kept only if read with calibrated
    # confidence `faint_min_confidence` or more and as `faint_min_chars` characters or more (a box's edge
    # reads "[", "1", "L"). A read turns it off with engine_args["faint_pass"]="off". Chosen on held-out
    # train pages and photos (seeds 0, 1) and on the first 40 train pages per category and their photos:
    # photo receipts .1128 -> .1110 and .1430 -> .1390, every other category unchanged (ungated: photo
    # forms .1556 -> .1553, one clean form +1 error, at -26% pages/s); without the reading's say, delta 3
    # alone: photo forms .1556 -> .1575 (15 pages worse). benchmarks/inhouse_ab.py ... --variant
    # faint_pass=true --out faint_gate_{holdout,train40} (run before the default turned on)
    faint_pass: bool = True
    faint_mser_delta: int = 3
    faint_min_contrast: float = 0.35
    faint_min_gain: float = 0.05
    faint_min_confidence: float = 0.5
    faint_min_chars: int = 3
    faint_max_overlap: float = 0.3  # a faint word covered more than this by a first-pass word is found twice
    faint_max_page_contrast: float = 70.0
    # --- which regions look like (parts of) characters, relative to the working text height ---
    min_height_ratio: float = 0.12
    max_height_ratio: float = 3.5
    max_aspect: float = 12.0  # width / height of one region
    min_fill: float = 0.08  # region pixels / box area
    max_fill: float = 0.95  # solid blocks (bars, photos) are not text…
    blocky_ratio: float = 0.6  # …when both sides exceed this × text height
    # a region both taller and much wider than text is a frame (link boxes on rendered papers,
    # table cells) with or without what it encloses, never one character: kept, it would
    # swallow the words inside into one blob
    frame_min_height_ratio: float = 1.6
    frame_min_width_ratio: float = 4.0
    # --- components of the union of text-like regions ---
    min_component_height_ratio: float = 0.12  # punctuation: joins lines, never starts one
    max_component_height_ratio: float = 4.0
    max_rule_aspect: float = 25.0  # thinner and longer than this: a ruling line
    # --- drawings (plots, diagrams): ink left after removing straight lines this long (× text
    # height) that spans at least this much (× text height) both ways; words inside are dropped ---
    graphics_line_ratio: float = 3.0
    graphics_min_size_ratio: float = 4.0
    # on an unevenly lit page, drawings found on the flattened page must cover at least this share of a
    # drawing's box (graphics.graphics_boxes): a shadow is ink to Otsu only as the page is lit
    graphics_flat_overlap: float = 0.5
    # a line of words all within this (× text height) of figures (drawings or pictures at least
    # `figure_min_size_ratio` × text height both ways: plots, not a pen circle round a total) is
    # their labelling (ticks, axis titles, a colour bar's scale), not the page's text
    graphics_label_margin_ratio: float = 3.0
    figure_min_size_ratio: float = 10.0
    # --- colour pictures (maps, heat maps, photos in figures): the Otsu ink of a colour map is
    # confetti, which the drawings test above misses; saturated pixels are not. A picture is a
    # region of colour (saturation and brightness at least these, 0-255) as large as a drawing,
    # this much of it coloured, in several hues (a tinted paper or a one-colour banner is not)
    picture_min_saturation: int = 80
    picture_min_value: int = 50
    picture_min_fill: float = 0.3
    picture_min_hue_spread: float = 0.2  # share of coloured pixels outside the commonest hue band
    picture_min_page_share: float = 0.005  # pages with less colour than this skip the search
    # --- stringing components into lines and words ---
    line_overlap: float = 0.5  # vertical overlap / smaller height to join a line
    # a line's band: the mean top and bottom of its last this many letters, so it follows a bent line;
    # 4 keeps lines arching 1.4 × their height in one (8: 1.0; the mean of all: 0.5), and on 120 train
    # pages detects words as well as the mean did (P/R receipts .703/.781 vs .703/.780, forms .406/.543 both)
    line_band_members: int = 4
    line_max_gap_ratio: float = 2.5  # horizontal gap / height beyond which a line breaks
    small_component_ratio: float = 0.45  # components shorter than this × line height (dots, commas)
    hang_ratio: float = 0.5  # a narrow component no taller than the line may hang this far (× line height) below it…
    hang_max_width_ratio: float = 0.35  # …if no wider than this (× line height): commas, semicolons
    word_gap_min_ratio: float = 0.18  # gaps below this × line height never split words
    word_gap_max_ratio: float = 0.9  # gaps above this × line height always split words
    word_gap_default_ratio: float = 0.5
    join_spaced_marks: bool = True  # a period or comma with a word gap on both sides joins them ("RM51 , 30")…
    spaced_mark_min_top_ratio: float = 0.6  # …if its top lies this far down its neighbours (0 top, 1 bottom)
    join_leading_marks: bool = True  # a mark with a word gap before it and none after joins both ("71 .00")
    # fixed-pitch lines: this many characters, at least this share of them one pitch apart (within
    # this tolerance); a centre step of this many pitches is a word gap (an empty cell)
    monospace_min_chars: int = 8
    monospace_min_regular: float = 0.9
    monospace_tolerance: float = 0.12
    monospace_gap_pitches: float = 1.6
    min_word_height_ratio: float = 0.5  # a "word" with no component this tall (× text height) is a rule or dashes…
    symbol_max_width_ratio: float = 2.0  # …unless it is this narrow (× text height) and has a bar: = - — ~
    symbol_min_bar_ratio: float = 0.3  # bar width (× text height) that tells a symbol from dots
    colon_min_height_ratio: float = 0.35  # two dots stacked this tall (× text height) or taller are a colon…
    colon_max_width_ratio: float = 0.5  # …if no wider than this: "TOTAL : 12.00", "TEL :" on receipts
    # --- crops for the recognizer ---
    crop_padding: int = 3  # like the benchmark word crops
    crop_line_window_ratio: float = (
        8.0  # crops span the line's height over the words this near (× text height): x-height vs caps
    )
    max_crop_aspect: float = 18.0  # longer detections are chopped, and re-joined afterwards

    def as_dict(self) -> dict:
        return asdict(self)
