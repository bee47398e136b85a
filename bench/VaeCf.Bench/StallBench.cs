using System.Diagnostics;

namespace VaeCf.Bench;

/// <summary>
/// How often the machine takes a core away from a running thread: one thread per core spins on
/// the clock and records every gap between two readings longer than 0.5 ms. On an idle machine
/// such gaps are time the thread did not run (the hypervisor's steal on a VM, or the kernel), and
/// every forward pass that a gap hits grows by it: the floor under a server's latency tail.
/// </summary>
public static class StallBench
{
    public static int Run(string[] args)
    {
        double seconds = 10;
        int threads = Environment.ProcessorCount;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(args[++i]); break;
                default: Console.Error.WriteLine($"unknown option '{args[i]}'"); return 2;
            }
        }
        var gaps = new List<double>[threads];
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() => gaps[t] = Spin(seconds)) { IsBackground = true }).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Console.WriteLine($"{threads} spinning thread(s), {seconds:0.#} s each; gaps between clock readings over 0.5 ms:");
        Console.WriteLine("thread | gaps/s | over 2 ms | over 5 ms | longest | time lost");
        for (int t = 0; t < threads; t++)
        {
            var g = gaps[t];
            Console.WriteLine($"{t,6} | {g.Count / seconds,6:F1} | {g.Count(x => x > 2),9} | {g.Count(x => x > 5),9} | {(g.Count > 0 ? g.Max() : 0),5:F1} ms | {g.Sum() / (seconds * 1000),8:P1}");
        }
        return 0;
    }

    private static List<double> Spin(double seconds)
    {
        var gaps = new List<double>();
        double msPerTick = 1000.0 / Stopwatch.Frequency;
        long last = Stopwatch.GetTimestamp(), end = last + (long)(seconds * Stopwatch.Frequency);
        while (last < end)
        {
            long now = Stopwatch.GetTimestamp();
            double gap = (now - last) * msPerTick;
            if (gap > 0.5) gaps.Add(gap);
            last = now;
        }
        return gaps;
    }
}
