// Small self-contained SVG charts for the reports: line charts (latency CDF, throughput over
// time) and horizontal stacked bars (stage breakdown). No scripts, no external fonts.
#pragma once

#include <string>
#include <vector>

namespace crossenc::bench {

struct Series {
  std::string name;
  std::vector<double> x, y;
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  bool y_from_zero = true;
  bool step = false;  // draw as a staircase (CDFs)
};

struct StackedBars {
  std::string title, value_label;
  std::vector<std::string> bars;            // one per row, top to bottom
  std::vector<std::string> segments;        // legend names, left to right
  std::vector<std::vector<double>> values;  // [bar][segment], >= 0
};

std::string render_line_chart(const LineChart& chart, int width = 760, int height = 380);
std::string render_stacked_bars(const StackedBars& chart, int width = 760);

// "&<>\"'" escaped for XML text and attributes.
std::string xml_escape(const std::string& s);

// Round axis steps: 1, 2 or 5 times a power of ten, about `count` ticks over [lo, hi].
std::vector<double> nice_ticks(double lo, double hi, int count = 5);

}  // namespace crossenc::bench
