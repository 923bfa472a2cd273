package dev.hicache.simulator.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Inline SVG charts for the HTML report: lines (numeric, logarithmic or categorical x), stacked
 * areas, grouped or stacked bars, horizontal bars. Plain SVG elements only: no scripts, fonts or
 * anything fetched; hovering a point or bar shows its value through SVG's own {@code <title>}.
 */
final class Charts {
  private Charts() {}

  static final int WIDTH = 1080;
  private static final int HEIGHT = 290, LEFT = 78, RIGHT = 250, TOP = 16, BOTTOM = 52;

  /** Tier colours, the same in every chart. */
  static final String L1 = "#1f77b4", L2 = "#ff7f0e", L3 = "#2ca02c", MISS = "#d62728", TOTAL = "#333333";
  static final String[] PALETTE = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
      "#7f7f7f", "#bcbd22", "#17becf"};

  /**
   * A named series: y at x (for a categorical axis x is the category's index). NaN in y leaves a
   * gap (an interval with nothing in it).
   */
  record Series(String name, String color, double[] x, double[] y, boolean dashed) {
    Series(String name, String color, double[] x, double[] y) {
      this(name, color, x, y, false);
    }

    /** y at categories 0..n-1. */
    static Series categorical(String name, String color, double[] y) {
      double[] x = new double[y.length];
      for (int i = 0; i < x.length; i++) x[i] = i;
      return new Series(name, color, x, y, false);
    }
  }

  /**
   * An x axis: categories (bands, labelled), or numbers on a linear or log10 scale, with ticks at
   * round numbers or at given values with given labels (a numeric sweep's values as the user wrote
   * them).
   */
  record XAxis(String title, double min, double max, boolean log, List<String> categories, double[] tickAt,
      List<String> tickLabels) {
    static XAxis categories(String title, List<String> labels) {
      return new XAxis(title, 0, Math.max(0, labels.size() - 1), false, List.copyOf(labels), null, null);
    }

    static XAxis numeric(String title, double min, double max, boolean log) {
      return new XAxis(title, min, max, log, null, null, null);
    }

    static XAxis ticksAt(String title, double[] values, List<String> labels, boolean log) {
      double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
      for (double v : values) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      return new XAxis(title, min, max, log, null, values.clone(), List.copyOf(labels));
    }

    boolean categorical() {
      return categories != null;
    }
  }

  /** A plot area with its scales, axes and legend; the chart functions draw into it. */
  private static final class Frame {
    final int w, h, left, top, pw, ph;
    final XAxis x;
    final double xMin, xMax, yMax;
    final StringBuilder b = new StringBuilder();
    int legendRow;

    Frame(String label, XAxis x, double yMax, int w, int h, int left, int right) {
      this.w = w;
      this.h = h;
      this.left = left;
      this.top = TOP;
      this.pw = w - left - right;
      this.ph = h - TOP - BOTTOM;
      this.x = x;
      this.yMax = yMax;
      double lo = x.min(), hi = x.max();
      if (!x.categorical()) {
        if (x.log()) {
          // Some room either side of the extreme points, a bit over 1/16 of a decade.
          lo = lo / 1.15;
          hi = hi * 1.15;
        } else if (hi == lo) {
          lo -= 1;
          hi += 1;
        } else if (x.tickAt() != null) {
          double pad = (hi - lo) * 0.04;
          lo -= pad;
          hi += pad;
        }
      }
      this.xMin = lo;
      this.xMax = hi;
      b.append(String.format(Locale.ROOT, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\""
          + " aria-label=\"%s\" font-family=\"sans-serif\" font-size=\"12\">\n", w, h, w, h, esc(label)));
    }

    double px(double v) {
      if (x.categorical()) {
        int n = Math.max(1, x.categories().size());
        return left + pw * (v + 0.5) / n;
      }
      if (x.log()) {
        double a = Math.log10(xMin), z = Math.log10(xMax);
        return left + pw * (Math.log10(Math.max(v, xMin)) - a) / (z - a);
      }
      return left + pw * (v - xMin) / (xMax - xMin);
    }

    double py(double v) {
      return top + ph - ph * Math.max(0, Math.min(v, yMax)) / yMax;
    }

    /** Grid, y ticks (at {@code yTicks}, or five even steps), x ticks and both titles. */
    void axes(String yTitle, double[] yTicks, java.util.function.DoubleFunction<String> yFormat) {
      if (yTicks == null) {
        yTicks = new double[6];
        for (int t = 0; t <= 5; t++) yTicks[t] = yMax * t / 5;
      }
      for (double v : yTicks) {
        double y = py(v);
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>"
            + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", left, y, left + pw, y, left - 6, y + 4,
            esc(yFormat.apply(v))));
      }
      if (x.categorical()) {
        int n = x.categories().size();
        int step = Math.max(1, (int) Math.ceil(n / 16.0));
        for (int i = 0; i < n; i += step) xTick(px(i), x.categories().get(i), false);
      } else if (x.tickAt() != null) {
        for (int i = 0; i < x.tickAt().length; i++) xTick(px(x.tickAt()[i]), x.tickLabels().get(i), true);
      } else if (x.log()) {
        int d0 = (int) Math.floor(Math.log10(xMin)), d1 = (int) Math.ceil(Math.log10(xMax));
        boolean fine = d1 - d0 <= 3;
        for (int d = d0; d <= d1; d++) {
          for (int m : fine ? new int[] {1, 2, 5} : new int[] {1}) {
            double v = m * Math.pow(10, d);
            if (v >= xMin && v <= xMax) xTick(px(v), fmt(v), true);
          }
        }
      } else {
        double step = niceStep((xMax - xMin) / 8);
        for (double v = Math.ceil(xMin / step) * step; v <= xMax + step * 1e-9; v += step) {
          xTick(px(v), fmt(Math.abs(v) < step * 1e-9 ? 0 : v), true);
        }
      }
      b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>"
          + "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", left, top + ph, left + pw, top + ph,
          left, top, left, top + ph));
      b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
          left + pw / 2, h - 8, esc(x.title())));
      b.append(String.format(Locale.ROOT, "<text x=\"16\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 16 %d)\">"
          + "%s</text>\n", top + ph / 2, top + ph / 2, esc(yTitle)));
    }

    private void xTick(double px, String label, boolean grid) {
      if (grid) {
        b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#f0f0f0\"/>",
            px, top, px, top + ph));
      }
      b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", px,
          top + ph + 17, esc(label)));
    }

    /** One legend entry, to the right of the plot: a line, dashed line or box in the series' colour. */
    void legend(String name, String color, String kind) {
      int lx = left + pw + 14, ly = top + 10 + legendRow++ * 18;
      switch (kind) {
        case "box" -> b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"10\" fill=\"%s\"/>",
            lx, ly - 9, color));
        case "dashed" -> b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\""
            + " stroke-width=\"2\" stroke-dasharray=\"5 3\"/>", lx, ly - 4, lx + 14, ly - 4, color));
        default -> b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\""
            + " stroke-width=\"2.5\"/>", lx, ly - 4, lx + 14, ly - 4, color));
      }
      b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>\n", lx + 20, ly, esc(name)));
    }

    String end() {
      return b.append("</svg>\n").toString();
    }
  }

  /**
   * Lines: each series' points joined (NaN breaks the line), with dots and their values as
   * tooltips when there are few points.
   */
  static String lines(String label, XAxis x, List<Series> series, String yTitle, boolean unitRange) {
    double max = 0;
    for (Series s : series) for (double v : s.y()) if (Double.isFinite(v)) max = Math.max(max, v);
    Frame f = new Frame(label, x, yMax(max, unitRange), WIDTH, HEIGHT, LEFT, RIGHT);
    f.axes(yTitle, null, Charts::fmt);
    for (Series s : series) {
      polyline(f, s);
      int points = 0;
      for (double v : s.y()) if (Double.isFinite(v)) points++;
      if (points <= 40) {
        for (int i = 0; i < s.y().length; i++) {
          if (!Double.isFinite(s.y()[i])) continue;
          String at = x.categorical() ? x.categories().get((int) s.x()[i]) : fmt(s.x()[i]);
          f.b.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s at %s: %s"
              + "</title></circle>\n", f.px(s.x()[i]), f.py(s.y()[i]), s.color(), esc(s.name()), esc(at), fmt(s.y()[i])));
        }
      }
      f.legend(s.name(), s.color(), s.dashed() ? "dashed" : "line");
    }
    return f.end();
  }

  /** A CDF: y from 0 to 1 with ticks at the quartiles and 0.9 (p90); x linear or log. */
  static String cdf(String label, XAxis x, List<Series> curves) {
    Frame f = new Frame(label, x, 1.0, WIDTH, HEIGHT + 30, LEFT, RIGHT + 90);
    f.axes("fraction of requests", new double[] {0, 0.25, 0.5, 0.75, 0.9, 1.0}, Charts::fmt);
    for (Series s : curves) {
      polyline(f, s);
      f.legend(s.name(), s.color(), "line");
    }
    return f.end();
  }

  private static void polyline(Frame f, Series s) {
    StringBuilder pts = new StringBuilder();
    for (int i = 0; i <= s.y().length; i++) {
      if (i < s.y().length && Double.isFinite(s.y()[i]) && Double.isFinite(s.x()[i])) {
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", f.px(s.x()[i]), f.py(s.y()[i])));
        continue;
      }
      if (pts.length() > 0) {
        f.b.append("<polyline fill=\"none\" stroke=\"").append(s.color()).append("\" stroke-width=\"2\"")
            .append(s.dashed() ? " stroke-dasharray=\"6 4\"" : "").append(" points=\"").append(pts.toString().strip())
            .append("\"/>\n");
        pts.setLength(0);
      }
    }
  }

  /**
   * Stacked areas: each series on top of the ones before it (y from 0 to 1 when {@code
   * unitRange}); a NaN in the first series leaves the interval empty.
   */
  static String stackedAreas(String label, XAxis x, List<Series> layers, String yTitle, boolean unitRange) {
    int n = layers.get(0).y().length;
    double[] base = new double[n];
    double max = 0;
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (Series s : layers) sum += finite(s.y()[i]);
      max = Math.max(max, sum);
    }
    Frame f = new Frame(label, x, yMax(max, unitRange), WIDTH, HEIGHT, LEFT, RIGHT);
    f.axes(yTitle, null, Charts::fmt);
    double[] xs = layers.get(0).x();
    for (Series s : layers) {
      double[] topY = new double[n];
      for (int i = 0; i < n; i++) topY[i] = base[i] + finite(s.y()[i]);
      // One polygon per run of intervals that have data: the top edge left to right, the base back.
      int i = 0;
      while (i < n) {
        if (!Double.isFinite(layers.get(0).y()[i])) {
          i++;
          continue;
        }
        int j = i;
        while (j < n && Double.isFinite(layers.get(0).y()[j])) j++;
        StringBuilder pts = new StringBuilder();
        for (int k = i; k < j; k++) pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", f.px(xs[k]), f.py(topY[k])));
        for (int k = j - 1; k >= i; k--) pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", f.px(xs[k]), f.py(base[k])));
        f.b.append("<polygon fill=\"").append(s.color()).append("\" fill-opacity=\"0.85\" stroke=\"none\" points=\"")
            .append(pts.toString().strip()).append("\"/>\n");
        i = j;
      }
      base = topY;
      f.legend(s.name(), s.color(), "box");
    }
    return f.end();
  }

  /**
   * Vertical bars per category: side by side (one per series) or stacked, each with its value as a
   * tooltip, and written above it when there is room.
   */
  static String bars(String label, XAxis x, List<Series> series, String yTitle, boolean stacked, boolean unitRange,
      java.util.function.DoubleFunction<String> valueFormat) {
    int n = x.categories().size();
    double max = 0;
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (Series s : series) {
        double v = finite(s.y()[i]);
        sum = stacked ? sum + v : Math.max(sum, v);
      }
      max = Math.max(max, sum);
    }
    Frame f = new Frame(label, x, yMax(max, unitRange), WIDTH, HEIGHT, LEFT, RIGHT);
    f.axes(yTitle, null, Charts::fmt);
    double band = f.pw / (double) Math.max(1, n);
    double inner = Math.min(band * 0.72, stacked ? 90 : 60.0 * series.size());
    double width = stacked ? inner : inner / series.size();
    for (int i = 0; i < n; i++) {
      double x0 = f.px(i) - inner / 2, base = 0;
      for (int k = 0; k < series.size(); k++) {
        Series s = series.get(k);
        double v = finite(s.y()[i]);
        double lo = stacked ? base : 0, hi = lo + v;
        double bx = stacked ? x0 : x0 + k * width;
        f.b.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
            + "<title>%s, %s: %s</title></rect>\n", bx, f.py(hi), Math.max(1, width - (stacked ? 0 : 2)),
            Math.max(0, f.py(lo) - f.py(hi)), s.color(), esc(x.categories().get(i)), esc(s.name()),
            valueFormat.apply(v)));
        if (!stacked && width >= 30) {
          f.b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">"
              + "%s</text>\n", bx + (width - 2) / 2, f.py(hi) - 4, valueFormat.apply(v)));
        }
        base = hi;
      }
      if (stacked) {
        f.b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\">%s"
            + "</text>\n", f.px(i), f.py(base) - 4, valueFormat.apply(base)));
      }
    }
    for (Series s : series) f.legend(s.name(), s.color(), "box");
    return f.end();
  }

  /** Horizontal bars: one row per category (its name on the left), one bar per series, values at their ends. */
  static String horizontalBars(String label, List<String> categories, List<Series> series, String xTitle) {
    int rowHeight = Math.max(22, 6 + 15 * series.size());
    int left = 230, right = RIGHT, w = WIDTH;
    int h = TOP + BOTTOM + rowHeight * Math.max(1, categories.size());
    double max = 0;
    for (Series s : series) for (double v : s.y()) max = Math.max(max, finite(v));
    double xMax = max <= 0 ? 1 : niceCeil(max * 1.08);
    // The frame's y scale is unused here: bars run along x.
    Frame f = new Frame(label, XAxis.numeric(xTitle, 0, xMax, false), 1, w, h, left, right);
    double step = niceStep(xMax / 6);
    for (double v = 0; v <= xMax + step * 1e-9; v += step) {
      double px = f.px(v);
      f.b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e6e6e6\"/>"
          + "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", px, f.top, px, f.top + f.ph, px,
          f.top + f.ph + 17, fmt(v)));
    }
    f.b.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>"
        + "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", left, f.top, left, f.top + f.ph,
        left + f.pw / 2, h - 8, esc(xTitle)));
    double barHeight = (rowHeight - 6) / (double) series.size();
    for (int c = 0; c < categories.size(); c++) {
      double y0 = f.top + c * rowHeight + 3;
      f.b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", left - 8,
          y0 + (rowHeight - 6) / 2.0 + 4, esc(categories.get(c))));
      for (int k = 0; k < series.size(); k++) {
        Series s = series.get(k);
        double v = finite(s.y()[c]);
        double y = y0 + k * barHeight;
        double len = f.px(v) - left;
        f.b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">"
            + "<title>%s, %s: %s</title></rect><text x=\"%.1f\" y=\"%.1f\" font-size=\"11\">%s</text>\n", left, y,
            Math.max(len, v > 0 ? 1 : 0), Math.max(1, barHeight - 2), s.color(), esc(categories.get(c)),
            esc(s.name()), fmtCount(v), left + len + 4, y + barHeight / 2 + 3, fmtCount(v)));
      }
    }
    if (series.size() > 1) for (Series s : series) f.legend(s.name(), s.color(), "box");
    return f.end();
  }

  private static double finite(double v) {
    return Double.isFinite(v) ? v : 0;
  }

  private static double yMax(double max, boolean unitRange) {
    if (unitRange) return Math.max(0.05, Math.min(1, niceCeil(max)));
    return max <= 0 ? 1 : niceCeil(max);
  }

  static double niceCeil(double v) {
    if (!(v > 0)) return 1;
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}) if (m * p >= v * (1 - 1e-12)) return m * p;
    return 10 * p;
  }

  private static double niceStep(double raw) {
    if (!(raw > 0)) return 1;
    double p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) if (m * p >= raw) return m * p;
    return 10 * p;
  }

  /** A tick or value: 0, 0.125, 2.50, 350, 12k, 1.5M, 2G. */
  static String fmt(double v) {
    if (v == 0) return "0";
    double a = Math.abs(v);
    if (a >= 1e9) return trim(String.format(Locale.ROOT, "%.2f", v / 1e9)) + "G";
    if (a >= 1e6) return trim(String.format(Locale.ROOT, "%.2f", v / 1e6)) + "M";
    if (a >= 1e4) return trim(String.format(Locale.ROOT, "%.1f", v / 1e3)) + "k";
    if (a >= 100) return String.format(Locale.ROOT, "%.0f", v);
    if (a >= 1) return trim(String.format(Locale.ROOT, "%.2f", v));
    return trim(String.format(Locale.ROOT, "%.3f", v));
  }

  /** A count as written: 1,234. */
  static String fmtCount(double v) {
    return String.format(Locale.ROOT, "%,.0f", v);
  }

  private static String trim(String s) {
    if (!s.contains(".")) return s;
    s = s.replaceAll("0+$", "");
    return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
  }

  /** Numeric x values of a sweep, or null when one of them is not a number (a policy name, inf). */
  static double[] numbers(List<String> values) {
    double[] out = new double[values.size()];
    for (int i = 0; i < out.length; i++) {
      String s = values.get(i).strip().replace("_", "");
      double mult = 1;
      if (!s.isEmpty()) {
        switch (s.charAt(s.length() - 1)) {
          case 'k', 'K' -> mult = 1e3;
          case 'm', 'M' -> mult = 1e6;
          case 'g', 'G' -> mult = 1e9;
          default -> { }
        }
        if (mult != 1) s = s.substring(0, s.length() - 1);
      }
      if (!s.matches("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?")) return null;
      out[i] = Double.parseDouble(s) * mult;
      if (!Double.isFinite(out[i])) return null;
    }
    List<Double> seen = new ArrayList<>();
    for (double v : out) {
      if (seen.contains(v)) return null; // the same value twice: no numeric axis to put them on
      seen.add(v);
    }
    return out;
  }

  static String esc(String s) {
    return HtmlReport.esc(s);
  }
}
