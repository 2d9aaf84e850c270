// SVG rendering of the report charts.
#include "svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace crossenc::bench {

namespace {

const char* const kPalette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr size_t kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string tick_label(double v, double step) {
  char buf[32];
  if (std::fabs(step) >= 1 || v == 0) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    const int digits = std::min(6, static_cast<int>(std::ceil(-std::log10(step))));
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  }
  return buf;
}

void text(std::ostringstream& o, double x, double y, const std::string& s,
          const char* anchor = "start", int size = 12, const char* extra = "") {
  o << "<text x=\"" << num(x) << "\" y=\"" << num(y) << "\" font-size=\"" << size
    << "\" text-anchor=\"" << anchor << "\"" << extra << ">" << xml_escape(s) << "</text>\n";
}

void header(std::ostringstream& o, int w, int h, const std::string& title) {
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
    << "\" viewBox=\"0 0 " << w << " " << h << "\" font-family=\"sans-serif\">\n";
  o << "<title>" << xml_escape(title) << "</title>\n";
  o << "<rect x=\"0\" y=\"0\" width=\"" << w << "\" height=\"" << h << "\" fill=\"#ffffff\"/>\n";
  text(o, w / 2.0, 20, title, "middle", 14, " font-weight=\"bold\"");
}

// Series past the palette repeat its colours dashed.
std::string dash(size_t i) { return i >= kPaletteSize ? " stroke-dasharray=\"6,3\"" : ""; }

// Legend entries (a line in each series' style) stacked in a column starting at (x, y).
void legend(std::ostringstream& o, double x, double y, const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    const double yy = y + 18.0 * static_cast<double>(i);
    o << "<line x1=\"" << num(x) << "\" y1=\"" << num(yy - 4) << "\" x2=\"" << num(x + 14)
      << "\" y2=\"" << num(yy - 4) << "\" stroke=\"" << kPalette[i % kPaletteSize]
      << "\" stroke-width=\"3\"" << dash(i) << "/>\n";
    std::string label = names[i];
    if (label.size() > 34) label = label.substr(0, 31) + "...";
    text(o, x + 17, yy, label, "start", 11);
  }
}

}  // namespace

std::string xml_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::vector<double> nice_ticks(double lo, double hi, int count) {
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return {lo};
  const double raw = (hi - lo) / std::max(1, count);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9 && ticks.size() < 50;
       t += step) {
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

std::string render_line_chart(const LineChart& chart, int width, int height) {
  constexpr double left = 64, right_legend = 230, top = 36, bottom = 48;
  const double pw = width - left - right_legend, ph = height - top - bottom;
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin, ymin = xmin, ymax = -xmin;
  for (const auto& s : chart.series) {
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      xmin = std::min(xmin, s.x[i]);
      xmax = std::max(xmax, s.x[i]);
      ymin = std::min(ymin, s.y[i]);
      ymax = std::max(ymax, s.y[i]);
    }
  }
  if (!std::isfinite(xmin)) xmin = 0, xmax = 1, ymin = 0, ymax = 1;
  if (chart.y_from_zero) ymin = std::min(0.0, ymin);
  if (xmax <= xmin) xmax = xmin + 1;
  if (ymax <= ymin) ymax = ymin + 1;
  const auto xt = nice_ticks(xmin, xmax), yt = nice_ticks(ymin, ymax);
  xmin = std::min(xmin, xt.front());
  ymin = std::min(ymin, yt.front());
  xmax = std::max(xmax, xt.back());
  ymax = std::max(ymax, yt.back());
  const auto px = [&](double x) { return left + (x - xmin) / (xmax - xmin) * pw; };
  const auto py = [&](double y) { return top + ph - (y - ymin) / (ymax - ymin) * ph; };

  std::ostringstream o;
  header(o, width, height, chart.title);
  o << "<g stroke=\"#e0e0e0\" stroke-width=\"1\">\n";
  for (double t : yt)
    o << "<line x1=\"" << num(left) << "\" y1=\"" << num(py(t)) << "\" x2=\"" << num(left + pw)
      << "\" y2=\"" << num(py(t)) << "\"/>\n";
  for (double t : xt)
    o << "<line x1=\"" << num(px(t)) << "\" y1=\"" << num(top) << "\" x2=\"" << num(px(t))
      << "\" y2=\"" << num(top + ph) << "\"/>\n";
  o << "</g>\n";
  o << "<rect x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\"" << num(pw)
    << "\" height=\"" << num(ph) << "\" fill=\"none\" stroke=\"#333333\"/>\n";
  const double ystep = yt.size() > 1 ? yt[1] - yt[0] : 1, xstep = xt.size() > 1 ? xt[1] - xt[0] : 1;
  for (double t : yt) text(o, left - 6, py(t) + 4, tick_label(t, ystep), "end", 11);
  for (double t : xt) text(o, px(t), top + ph + 16, tick_label(t, xstep), "middle", 11);
  text(o, left + pw / 2, height - 10, chart.x_label, "middle", 12);
  o << "<text x=\"14\" y=\"" << num(top + ph / 2) << "\" font-size=\"12\" text-anchor=\"middle\" "
    << "transform=\"rotate(-90 14 " << num(top + ph / 2) << ")\">" << xml_escape(chart.y_label)
    << "</text>\n";
  std::vector<std::string> names;
  for (size_t si = 0; si < chart.series.size(); ++si) {
    const Series& s = chart.series[si];
    names.push_back(s.name);
    std::ostringstream pts;
    double prev_y = 0;
    bool first = true;
    for (size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      if (chart.step && !first) pts << num(px(s.x[i])) << "," << num(py(prev_y)) << " ";
      pts << num(px(s.x[i])) << "," << num(py(s.y[i])) << " ";
      prev_y = s.y[i];
      first = false;
    }
    if (first) continue;
    o << "<polyline fill=\"none\" stroke=\"" << kPalette[si % kPaletteSize]
      << "\" stroke-width=\"1.8\"" << dash(si) << " points=\"" << pts.str() << "\"/>\n";
  }
  legend(o, left + pw + 14, top + 10, names);
  o << "</svg>\n";
  return o.str();
}

std::string render_stacked_bars(const StackedBars& chart, int width) {
  constexpr double left = 210, right = 30, top = 58, bottom = 44, bar_h = 18, gap = 8;
  const double ph = std::max<double>(1, chart.bars.size()) * (bar_h + gap);
  const int height = static_cast<int>(top + ph + bottom);
  const double pw = width - left - right;
  double vmax = 0;
  for (const auto& row : chart.values) {
    double sum = 0;
    for (double v : row) sum += std::max(0.0, v);
    vmax = std::max(vmax, sum);
  }
  if (vmax <= 0) vmax = 1;
  const auto ticks = nice_ticks(0, vmax);
  vmax = std::max(vmax, ticks.back());
  const auto px = [&](double v) { return left + v / vmax * pw; };

  std::ostringstream o;
  header(o, width, height, chart.title);
  // Legend in one row under the title.
  double lx = left;
  for (size_t i = 0; i < chart.segments.size(); ++i) {
    o << "<rect x=\"" << num(lx) << "\" y=\"30\" width=\"12\" height=\"10\" fill=\""
      << kPalette[i % kPaletteSize] << "\"/>\n";
    text(o, lx + 16, 39, chart.segments[i], "start", 11);
    lx += 24 + 7.0 * static_cast<double>(chart.segments[i].size());
  }
  o << "<g stroke=\"#e0e0e0\">\n";
  for (double t : ticks)
    o << "<line x1=\"" << num(px(t)) << "\" y1=\"" << num(top - 4) << "\" x2=\"" << num(px(t))
      << "\" y2=\"" << num(top + ph) << "\"/>\n";
  o << "</g>\n";
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : 1;
  for (double t : ticks) text(o, px(t), top + ph + 16, tick_label(t, step), "middle", 11);
  text(o, left + pw / 2, height - 10, chart.value_label, "middle", 12);
  for (size_t b = 0; b < chart.bars.size(); ++b) {
    const double y = top + static_cast<double>(b) * (bar_h + gap);
    std::string label = chart.bars[b];
    if (label.size() > 30) label = label.substr(0, 27) + "...";
    text(o, left - 6, y + bar_h - 5, label, "end", 11);
    double x = 0;
    const auto& row = b < chart.values.size() ? chart.values[b] : std::vector<double>{};
    for (size_t s = 0; s < row.size(); ++s) {
      const double v = std::max(0.0, row[s]);
      if (v <= 0) continue;
      o << "<rect x=\"" << num(px(x)) << "\" y=\"" << num(y) << "\" width=\""
        << num(std::max(0.5, px(x + v) - px(x))) << "\" height=\"" << num(bar_h) << "\" fill=\""
        << kPalette[s % kPaletteSize] << "\"><title>"
        << xml_escape(chart.segments.size() > s ? chart.segments[s] : "") << ": " << num(v)
        << "</title></rect>\n";
      x += v;
    }
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace crossenc::bench
