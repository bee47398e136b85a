namespace VaeCf.Data;

/// <summary>MovieLens ratings.dat: user::item::rating[::timestamp]. Sep needs a one-character separator, so this is hand-split.</summary>
internal static class DoubleColonReader
{
    public static void Read(string path, InteractionLog log, BadLineSink sink)
    {
        using var reader = new StreamReader(InteractionReader.OpenText(path));
        long lineNumber = 0;
        Span<Range> fields = stackalloc Range[6];
        while (reader.ReadLine() is string text)
        {
            lineNumber++;
            var line = text.AsSpan();
            if (line.IsWhiteSpace()) continue;
            int count = line.Split(fields, "::");
            if (count < 3 || count > 4)
            {
                sink.Report(lineNumber, count > 4 ? "more than 4 fields separated by '::'" : $"expected 3 or 4 fields separated by '::', found {count}");
                continue;
            }
            EventParsing.Add(log, sink, lineNumber, line[fields[0]], line[fields[1]], line[fields[2]], true,
                count == 4 ? line[fields[3]] : default, count == 4);
        }
    }
}
