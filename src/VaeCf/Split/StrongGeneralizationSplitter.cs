using VaeCf.Data;

namespace VaeCf.Split;

/// <summary>What the split dropped beyond the matrices themselves.</summary>
public sealed record SplitReport
{
    public required SplitOptions Options { get; init; }
    /// <summary>Held-out events on items no training user saw (docs/protocol.md, step 5).</summary>
    public long HeldOutEventsOutsideVocabulary { get; init; }
    /// <summary>Held-out users left with no event at all after step 5; they appear in no matrix (as in the original, whose files have no row for them).</summary>
    public int HeldOutUsersWithoutEvents { get; init; }
}

/// <summary>
/// The strong-generalization split of docs/protocol.md, steps 4-6. One System.Random(seed) drives the
/// user shuffle and then every target draw, so a seed fixes the whole split.
/// </summary>
public static class StrongGeneralizationSplitter
{
    public static SplitDataset Split(BinaryInteractions data, SplitOptions options) => Split(data, options, out _);

    public static SplitDataset Split(BinaryInteractions data, SplitOptions options, out SplitReport report)
    {
        options.Validate();
        int userCount = data.UserIds.Length;
        int validationCount = options.ValidationUsers.Resolve(userCount);
        int testCount = options.TestUsers.Resolve(userCount);
        if (validationCount < 1)
            throw new VaeCfException($"{options.ValidationUsers} of {userCount} users is no validation user at all; hold out more.");
        if (testCount < 1)
            throw new VaeCfException($"{options.TestUsers} of {userCount} users is no test user at all; hold out more.");
        if ((long)validationCount + testCount >= userCount)
            throw new VaeCfException(
                $"Holding out {validationCount} validation and {testCount} test users leaves no training users: only {userCount} users remain after preprocessing.");
        int trainCount = userCount - validationCount - testCount;

        var rng = new Random(options.Seed);
        var shuffled = Enumerable.Range(0, userCount).ToArray();
        rng.Shuffle(shuffled);
        var isTraining = new bool[userCount];
        for (int k = 0; k < trainCount; k++) isTraining[shuffled[k]] = true;

        // Group events by user, keeping file order inside each user (as pandas groupby does).
        var start = new int[userCount + 1];
        foreach (int u in data.EventUsers) start[u + 1]++;
        for (int u = 0; u < userCount; u++) start[u + 1] += start[u];
        var byUser = new int[data.Count];
        var fill = start[..userCount];
        for (int e = 0; e < data.Count; e++) byUser[fill[data.EventUsers[e]]++] = data.EventItems[e];

        // Vocabulary: items of training users in order of first appearance in the file (the original's pd.unique).
        var column = new int[data.ItemIds.Length];
        Array.Fill(column, -1);
        var itemIds = new List<string>();
        for (int e = 0; e < data.Count; e++)
        {
            int item = data.EventItems[e];
            if (isTraining[data.EventUsers[e]] && column[item] < 0) { column[item] = itemIds.Count; itemIds.Add(data.ItemIds[item]); }
        }
        int columns = itemIds.Count;

        var train = new CsrAssembler(columns);
        for (int k = 0; k < trainCount; k++)
        {
            int u = shuffled[k];
            for (int p = start[u]; p < start[u + 1]; p++) train.Add(column[byUser[p]]);
            train.EndRow();
        }

        long outsideVocabulary = 0;
        int withoutEvents = 0;
        HeldOutSet HoldOut(int from, int count)
        {
            var foldIn = new CsrAssembler(columns);
            var targets = new CsrAssembler(columns);
            var userIds = new List<string>(count);
            var events = new List<int>();
            var order = new List<int>();
            for (int k = from; k < from + count; k++)
            {
                int u = shuffled[k];
                events.Clear();
                for (int p = start[u]; p < start[u + 1]; p++)
                {
                    if (column[byUser[p]] >= 0) events.Add(column[byUser[p]]);
                    else outsideVocabulary++;
                }
                if (events.Count == 0) { withoutEvents++; continue; }

                int n = events.Count;
                int targetCount = n >= options.MinEventsForTargets ? (int)(options.TargetFraction * n) : 0;
                // Partial Fisher-Yates: the first targetCount positions become a uniform random subset.
                order.Clear();
                for (int i = 0; i < n; i++) order.Add(i);
                for (int i = 0; i < targetCount; i++)
                {
                    int j = rng.Next(i, n);
                    (order[i], order[j]) = (order[j], order[i]);
                }
                for (int i = 0; i < n; i++)
                {
                    if (i < targetCount) targets.Add(events[order[i]]);
                    else foldIn.Add(events[order[i]]);
                }
                foldIn.EndRow();
                targets.EndRow();
                userIds.Add(data.UserIds[u]);
            }
            return new HeldOutSet { UserIds = userIds.ToArray(), FoldIn = foldIn.Build(), Targets = targets.Build() };
        }

        var validation = HoldOut(trainCount, validationCount);
        var test = HoldOut(trainCount + validationCount, testCount);
        report = new SplitReport { Options = options, HeldOutEventsOutsideVocabulary = outsideVocabulary, HeldOutUsersWithoutEvents = withoutEvents };
        return new SplitDataset
        {
            ItemIds = itemIds.ToArray(),
            TrainUserIds = shuffled[..trainCount].Select(u => data.UserIds[u]).ToArray(),
            Train = train.Build(),
            Validation = validation,
            Test = test,
        };
    }
}
