package dev.berth.cli.verify;

import java.util.List;
import java.util.Locale;

/** A line chart as inline SVG (no script, no network): series over seconds, an optional threshold line. */
final class SvgChart {
    private static final int WIDTH = 720;
    private static final int HEIGHT = 220;
    private static final int LEFT = 60;
    private static final int RIGHT = 20;
    private static final int TOP = 30;
    private static final int BOTTOM = 30;

    /** {@code points} as x, y pairs; a NaN pair starts a new segment (the other target's turn came between). */
    record Series(String name, String color, List<double[]> points) {
    }

    private SvgChart() {
    }

    static String render(String title, List<Series> series, Double threshold) {
        double maxX = 1e-9;
        double maxY = threshold == null ? 0 : threshold * 1.1;
        for (Series s : series) {
            for (double[] p : s.points()) {
                if (!Double.isNaN(p[0])) {
                    maxX = Math.max(maxX, p[0]);
                    maxY = Math.max(maxY, p[1]);
                }
            }
        }
        maxY = maxY <= 0 ? 1 : maxY * 1.05;
        StringBuilder svg = new StringBuilder()
                .append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
                .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT).append("\" font-family=\"sans-serif\" font-size=\"11\">\n")
                .append("<text x=\"").append(LEFT).append("\" y=\"16\" font-size=\"13\" font-weight=\"bold\">").append(Html.escape(title)).append("</text>\n")
                .append(line(LEFT, TOP, LEFT, HEIGHT - BOTTOM, "#444", null))
                .append(line(LEFT, HEIGHT - BOTTOM, WIDTH - RIGHT, HEIGHT - BOTTOM, "#444", null))
                .append(text(LEFT - 4, TOP + 4, "end", num(maxY)))
                .append(text(LEFT - 4, HEIGHT - BOTTOM, "end", "0"))
                .append(text(WIDTH - RIGHT, HEIGHT - 8, "end", num(maxX) + " s"));
        boolean any = false;
        for (Series s : series) {
            StringBuilder d = new StringBuilder();
            boolean move = true;
            for (double[] p : s.points()) {
                if (Double.isNaN(p[0])) {
                    move = true;
                    continue;
                }
                d.append(move ? "M" : " L").append(num(x(p[0], maxX))).append(',').append(num(y(p[1], maxY)));
                move = false;
                any = true;
            }
            if (!d.isEmpty()) {
                svg.append("<path fill=\"none\" stroke=\"").append(s.color()).append("\" stroke-width=\"1.5\" d=\"").append(d).append("\"/>\n");
            }
        }
        if (threshold != null) {
            double ty = y(threshold, maxY);
            svg.append(line(LEFT, ty, WIDTH - RIGHT, ty, "#c00", "5,4"))
                    .append(text(WIDTH - RIGHT, ty - 3, "end", "threshold " + num(threshold)));
        }
        int legendX = LEFT + 260;
        for (Series s : series) {
            svg.append("<rect x=\"").append(legendX).append("\" y=\"8\" width=\"10\" height=\"10\" fill=\"").append(s.color()).append("\"/>")
                    .append(text(legendX + 14, 17, "start", s.name()));
            legendX += 110;
        }
        if (!any) {
            svg.append(text(WIDTH / 2.0, HEIGHT / 2.0, "middle", "not measured"));
        }
        return svg.append("</svg>\n").toString();
    }

    private static double x(double seconds, double maxX) {
        return LEFT + seconds / maxX * (WIDTH - LEFT - RIGHT);
    }

    private static double y(double value, double maxY) {
        return HEIGHT - BOTTOM - value / maxY * (HEIGHT - TOP - BOTTOM);
    }

    private static String line(double x1, double y1, double x2, double y2, String color, String dash) {
        return "<line x1=\"" + num(x1) + "\" y1=\"" + num(y1) + "\" x2=\"" + num(x2) + "\" y2=\"" + num(y2) + "\" stroke=\"" + color
                + "\"" + (dash == null ? "" : " stroke-dasharray=\"" + dash + "\"") + "/>\n";
    }

    private static String text(double x, double y, String anchor, String text) {
        return "<text x=\"" + num(x) + "\" y=\"" + num(y) + "\" text-anchor=\"" + anchor + "\">" + Html.escape(text) + "</text>\n";
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.4g", v).replaceAll("(\\.\\d*?)0+$", "$1").replaceAll("\\.$", "");
    }
}
