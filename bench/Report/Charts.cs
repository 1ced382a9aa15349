using ScottPlot;

namespace Static.BenchReport;

/// <summary>A bar series: one value per group (null: not measured, no bar).</summary>
internal sealed record Series(string Name, double?[] Values);

/// <summary>A line series for a growth curve: points (x, y), each labelled.</summary>
internal sealed record Curve(string Name, double[] Xs, double[] Ys, string[] Labels);

/// <summary>The report's charts: simple PNGs (title, axis labels, values on the bars) written with ScottPlot.</summary>
internal sealed class Charts(string directory, string markdownPrefix)
{
    private const int Width = 900;
    private const int Height = 470;
    private static readonly Color[] Colors =
    [
        Color.FromHex("#4C72B0"), Color.FromHex("#DD8452"), Color.FromHex("#55A868"), Color.FromHex("#C44E52"),
        Color.FromHex("#8172B3"), Color.FromHex("#937860"),
    ];

    // DejaVu Sans where it is installed (Debian's fonts-dejavu-core); else what ScottPlot finds as a sans-serif font.
    private static readonly string FontName =
        SkiaSharp.SKFontManager.Default.FontFamilies.Contains("DejaVu Sans", StringComparer.Ordinal) ? "DejaVu Sans" : Fonts.Sans;

    public List<string> Written { get; } = [];

    /// <summary>Grouped bars: for each group a bar per series, its value written on it. With one series, <paramref name="roles"/>
    /// (one per group, e.g. "baseline" and "Static") colours the bars by role, with a legend. Returns the Markdown image line.</summary>
    public string Bars(string name, string title, string valueAxis, string[] groups, IReadOnlyList<Series> series,
        Func<double, string> label, bool horizontal = false, IReadOnlyList<(double Value, string Label)>? marks = null, string[]? roles = null)
    {
        var roleNames = series.Count == 1 && roles is not null ? roles.Distinct().ToList() : null;
        var plt = NewPlot(title);
        var n = series.Count;
        var width = 0.8 / n;
        for (var s = 0; s < n; s++)
        {
            var bars = new List<Bar>();
            for (var g = 0; g < groups.Length; g++)
            {
                if (series[s].Values.ElementAtOrDefault(g) is not { } v || double.IsNaN(v)) continue;
                // Horizontal: the first group and, within a group, the first series on top.
                var position = horizontal ? groups.Length - 1 - g + 0.4 - width * (s + 0.5) : g - 0.4 + width * (s + 0.5);
                var color = roleNames is not null ? Colors[roleNames.IndexOf(roles![g]) % Colors.Length] : Colors[s % Colors.Length];
                bars.Add(new Bar { Position = position, Value = v, Size = width * 0.92, FillColor = color, Label = label(v) });
            }
            var plot = plt.Add.Bars(bars);
            plot.Horizontal = horizontal;
            if (n > 1) plot.LegendText = series[s].Name;
        }
        var m = 0;
        foreach (var (value, text) in marks ?? [])
        {
            var line = horizontal ? (ScottPlot.Plottables.AxisLine)plt.Add.VerticalLine(value) : plt.Add.HorizontalLine(value);
            line.LinePattern = LinePattern.Dashed;
            line.LineColor = Colors[(3 + m++) % Colors.Length];
            line.LineWidth = 1.5f;
            line.LegendText = text;
        }
        var positions = Enumerable.Range(0, groups.Length).Select(g => (double)(horizontal ? groups.Length - 1 - g : g)).ToArray();
        if (horizontal)
        {
            plt.Axes.Left.SetTicks(positions, groups);
            plt.Axes.Bottom.Label.Text = valueAxis;
            plt.Axes.Margins(left: 0, right: 0.22, bottom: 0.06, top: 0.06);
        }
        else
        {
            plt.Axes.Bottom.SetTicks(positions, groups);
            plt.Axes.Left.Label.Text = valueAxis;
            plt.Axes.Margins(left: 0.06, right: 0.06, bottom: 0, top: 0.18);
        }
        for (var r = 0; r < (roleNames?.Count ?? 0); r++)
        {
            plt.Legend.ManualItems.Add(new LegendItem { LabelText = roleNames![r], FillColor = Colors[r % Colors.Length] });
        }
        // The legend below the data area, where it hides no bar and no value.
        if (n > 1 || marks is { Count: > 0 } || roleNames is not null) plt.ShowLegend(Edge.Bottom);
        return Save(plt, name, title);
    }

    /// <summary>A growth curve: y against the product count, both axes linear (a straight line is linear growth).</summary>
    public string Growth(string name, string title, string valueAxis, IReadOnlyList<Curve> curves)
    {
        var plt = NewPlot(title);
        for (var i = 0; i < curves.Count; i++)
        {
            var c = curves[i];
            var scatter = plt.Add.Scatter(c.Xs, c.Ys);
            if (curves.Count > 1) scatter.LegendText = c.Name;
            scatter.Color = Colors[i % Colors.Length];
            scatter.MarkerSize = 9;
            scatter.LineWidth = 2;
            for (var p = 0; p < c.Xs.Length; p++)
            {
                var text = plt.Add.Text(c.Labels[p], c.Xs[p], c.Ys[p]);
                text.LabelFontSize = 13;
                text.LabelFontColor = Colors[i % Colors.Length];
                text.LabelAlignment = Alignment.LowerRight;
                text.OffsetX = -4;
                text.OffsetY = -6;
            }
        }
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = v => F.N(v) };
        plt.Axes.Bottom.Label.Text = "products";
        plt.Axes.Left.Label.Text = valueAxis;
        plt.Axes.Margins(left: 0.08, right: 0.04, bottom: 0.05, top: 0.15);
        plt.Axes.AutoScale();
        plt.Axes.SetLimitsY(0, curves.SelectMany(c => c.Ys).Max() * 1.15);
        if (curves.Count > 1) plt.ShowLegend(Edge.Bottom);
        return Save(plt, name, title);
    }

    private static Plot NewPlot(string title)
    {
        var plt = new Plot();
        plt.Font.Set(FontName);
        plt.Title(title, 17);
        plt.Axes.Title.Label.Bold = true;
        plt.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plt.Axes.Left.TickLabelStyle.FontSize = 13;
        plt.Axes.Bottom.Label.FontSize = 14;
        plt.Axes.Left.Label.FontSize = 14;
        plt.Legend.FontSize = 13;
        return plt;
    }

    private string Save(Plot plt, string name, string title)
    {
        Directory.CreateDirectory(directory);
        var file = name + ".png";
        plt.SavePng(Path.Combine(directory, file), Width, Height);
        Written.Add(file);
        return $"![{title}]({markdownPrefix}/{file})";
    }

    /// <summary>Removes charts of an earlier report that this one did not draw (their benchmark has no result now).</summary>
    public void RemoveOthers()
    {
        if (!Directory.Exists(directory)) return;
        foreach (var png in Directory.GetFiles(directory, "*.png"))
        {
            if (!Written.Contains(Path.GetFileName(png))) System.IO.File.Delete(png);
        }
    }
}
