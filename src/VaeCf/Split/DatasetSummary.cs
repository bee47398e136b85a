using System.Globalization;
using System.Text;
using VaeCf.Data;

namespace VaeCf.Split;

/// <summary>Counts for one group of held-out users.</summary>
public sealed record HeldOutSummary(int Users, long FoldInEvents, long TargetEvents, int UsersWithoutTargets)
{
    /// <summary>Counts <paramref name="set"/>'s users, events and users without targets.</summary>
    public static HeldOutSummary Of(HeldOutSet set)
    {
        int withoutTargets = 0;
        for (int u = 0; u < set.UserCount; u++)
            if (set.Targets.RowLength(u) == 0) withoutTargets++;
        return new(set.UserCount, set.FoldIn.NonZeros, set.Targets.NonZeros, withoutTargets);
    }
}

/// <summary>
/// What a dataset is made of, from reading to split. The read/preprocess/split reports are null
/// when the dataset was loaded from an already split folder.
/// </summary>
public sealed record DatasetSummary
{
    /// <summary>The path the dataset came from.</summary>
    public required string Source { get; init; }
    /// <summary>Events in the split (train + validation fold-in + targets).</summary>
    public long Events { get; init; }
    /// <summary>Users in the split: training, validation and test.</summary>
    public int Users { get; init; }
    /// <summary>Item vocabulary size (items seen by training users).</summary>
    public int Items { get; init; }
    /// <summary>Events over users x items.</summary>
    public double Density => Users == 0 || Items == 0 ? 0 : Events / ((double)Users * Items);
    /// <summary>Training users.</summary>
    public int TrainUsers { get; init; }
    /// <summary>Training events.</summary>
    public long TrainEvents { get; init; }
    /// <summary>Validation users' counts.</summary>
    public required HeldOutSummary Validation { get; init; }
    /// <summary>Test users' counts.</summary>
    public required HeldOutSummary Test { get; init; }
    /// <summary>What reading the raw file did; null for a split folder.</summary>
    public ReadReport? Read { get; init; }
    /// <summary>What preprocessing removed; null for a split folder.</summary>
    public PreprocessReport? Preprocess { get; init; }
    /// <summary>What the split dropped; null for a split folder.</summary>
    public SplitReport? Split { get; init; }

    /// <summary>The summary of <paramref name="data"/>, loaded from <paramref name="source"/>, with the reports of the steps that made it.</summary>
    public static DatasetSummary Of(SplitDataset data, string source, ReadReport? read = null, PreprocessReport? preprocess = null, SplitReport? split = null)
    {
        var validation = HeldOutSummary.Of(data.Validation);
        var test = HeldOutSummary.Of(data.Test);
        return new DatasetSummary
        {
            Source = source,
            Events = data.Train.NonZeros + validation.FoldInEvents + validation.TargetEvents + test.FoldInEvents + test.TargetEvents,
            Users = data.Train.Rows + validation.Users + test.Users,
            Items = data.ItemCount,
            TrainUsers = data.Train.Rows,
            TrainEvents = data.Train.NonZeros,
            Validation = validation,
            Test = test,
            Read = read,
            Preprocess = preprocess,
            Split = split,
        };
    }

    /// <summary>Label/value rows in reading order, for a table or plain text.</summary>
    public IReadOnlyList<(string Label, string Value)> ToRows()
    {
        static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
        var rows = new List<(string, string)> { ("source", Source) };
        if (Read is not null)
        {
            rows.Add(("format", $"{Read.Format.ToName()} ({Read.Layout})"));
            rows.Add(("events read", N(Read.Events)));
            if (Read.SkippedLines > 0) rows.Add(("malformed lines skipped", N(Read.SkippedLines)));
        }
        if (Preprocess is not null)
        {
            rows.Add(("preprocessing", Preprocess.Options.Describe()));
            rows.Add(("raw users / items", $"{N(Preprocess.RawUsers)} / {N(Preprocess.RawItems)}"));
            rows.Add(("events at or below threshold", N(Preprocess.BelowThreshold)));
            rows.Add(("duplicate (user, item) merged", N(Preprocess.DuplicatesMerged)));
            rows.Add(("users / items removed by minimums", $"{N(Preprocess.UsersRemoved)} / {N(Preprocess.ItemsRemoved)}"));
            rows.Add(("after preprocessing", $"{N(Preprocess.Events)} events, {N(Preprocess.Users)} users, {N(Preprocess.Items)} items"));
        }
        if (Split is not null)
        {
            rows.Add(("seed", Split.Options.Seed.ToString(CultureInfo.InvariantCulture)));
            rows.Add(("held-out events outside vocabulary", N(Split.HeldOutEventsOutsideVocabulary)));
            if (Split.HeldOutUsersWithoutEvents > 0) rows.Add(("held-out users left without events", N(Split.HeldOutUsersWithoutEvents)));
        }
        rows.Add(("events", N(Events)));
        rows.Add(("users", N(Users)));
        rows.Add(("items (seen by training users)", N(Items)));
        rows.Add(("density", Density.ToString("P3", CultureInfo.InvariantCulture)));
        rows.Add(("train", $"{N(TrainUsers)} users, {N(TrainEvents)} events"));
        rows.Add(("validation", Describe(Validation)));
        rows.Add(("test", Describe(Test)));
        return rows;
    }

    private static string Describe(HeldOutSummary s) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{s.Users:N0} users, {s.FoldInEvents:N0} fold-in + {s.TargetEvents:N0} target events{(s.UsersWithoutTargets > 0 ? $", {s.UsersWithoutTargets:N0} users without targets" : "")}");

    /// <summary>A multi-line table of the counts, for the console.</summary>
    public override string ToString()
    {
        var rows = ToRows();
        int width = rows.Max(r => r.Label.Length);
        var text = new StringBuilder();
        foreach (var (label, value) in rows) text.Append(label.PadRight(width)).Append("  ").AppendLine(value);
        if (Read is { SkippedExamples.Count: > 0 })
        {
            text.AppendLine("first skipped lines:");
            foreach (string example in Read.SkippedExamples) text.Append("  ").AppendLine(example);
        }
        return text.ToString();
    }
}
