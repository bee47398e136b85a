using System.Globalization;
using System.Numerics;
using Parquet;
using Parquet.Schema;

namespace VaeCf.Data;

/// <summary>
/// Parquet with user/item[/rating][/timestamp] columns chosen by name (or schema position). Errors
/// name the 1-based row, which plays the role of the line number.
/// </summary>
internal static class ParquetInteractionReader
{
    private static readonly string[] UserNames = ["userId", "user_id", "user", "reviewerID", "uid"];
    private static readonly string[] ItemNames = ["movieId", "itemId", "item_id", "item", "asin", "sid"];
    private static readonly string[] RatingNames = ["rating", "overall", "score"];
    private static readonly string[] TimestampNames = ["timestamp", "unixReviewTime", "ts", "time"];

    /// <returns>A description of the columns used.</returns>
    public static string Read(string path, ReaderOptions options, InteractionLog log, BadLineSink sink) =>
        ReadAsync(path, options, log, sink).GetAwaiter().GetResult();

    private static async Task<string> ReadAsync(string path, ReaderOptions options, InteractionLog log, BadLineSink sink)
    {
        ParquetReader reader;
        try
        {
            reader = await ParquetReader.CreateAsync(path);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            throw new VaeCfException($"'{path}' is not a readable Parquet file: {ex.Message}", ex);
        }
        await using (reader)
        {
            DataField[] fields = reader.Schema.GetDataFields();
            DataField user = Resolve(options.UserColumn, UserNames, fields, path, "user", required: true)!;
            DataField item = Resolve(options.ItemColumn, ItemNames, fields, path, "item", required: true)!;
            DataField? rating = Resolve(options.RatingColumn, RatingNames, fields, path, "rating", required: options.RatingColumn is not null);
            DataField? timestamp = Resolve(options.TimestampColumn, TimestampNames, fields, path, "timestamp", required: options.TimestampColumn is not null);

            long rowBase = 0;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                int rows = checked((int)group.RowCount);
                string?[] users = await ReadTextAsync(group, user, rows);
                string?[] items = await ReadTextAsync(group, item, rows);
                double?[]? ratings = rating is null ? null : await ReadNumbersAsync(group, rating, rows, path);
                double?[]? times = timestamp is null ? null : await ReadNumbersAsync(group, timestamp, rows, path);
                for (int r = 0; r < rows; r++)
                {
                    long row = rowBase + r + 1;
                    if (string.IsNullOrWhiteSpace(users[r])) { sink.Report(row, $"empty user id in column '{user.Name}'"); continue; }
                    if (string.IsNullOrWhiteSpace(items[r])) { sink.Report(row, $"empty item id in column '{item.Name}'"); continue; }
                    float value = 1f;
                    if (ratings is not null)
                    {
                        if (ratings[r] is not double d || !double.IsFinite(d)) { sink.Report(row, $"missing or non-numeric rating in column '{rating!.Name}'"); continue; }
                        value = (float)d;
                    }
                    long time = times?[r] is double t && double.IsFinite(t) ? (long)t : 0;
                    log.Add(users[r]!, items[r]!, value, time);
                }
                rowBase += rows;
            }
            return $"user='{user.Name}' item='{item.Name}' rating={(rating is null ? "none (all 1)" : $"'{rating.Name}'")} timestamp={(timestamp is null ? "none" : $"'{timestamp.Name}'")}";
        }
    }

    private static DataField? Resolve(ColumnSelector? given, string[] names, DataField[] fields, string path, string role, bool required)
    {
        if (given is { Index: int index })
            return index < fields.Length ? fields[index] : throw new DataFormatException(path, 1, $"{role} column #{index} does not exist; the file has {fields.Length} columns");
        string? name = given?.Name ?? InteractionReader.FindName(fields.Select(f => f.Name).ToArray(), names);
        DataField? field = name is null ? null : fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
        if (field is null && (required || given is not null))
            throw new DataFormatException(path, 1, $"missing {role} column{(name is null ? "" : $" '{name}'")}; the file has [{string.Join(", ", fields.Select(f => f.Name))}]");
        return field;
    }

    private static async Task<string?[]> ReadTextAsync(ParquetRowGroupReader group, DataField field, int rows)
    {
        if (IsText(field.ClrType))
        {
            var values = new string?[rows];
            await group.ReadAsync(field, values.AsMemory());
            return values;
        }
        double?[] numbers = await ReadNumbersAsync(group, field, rows, "");
        return numbers.Select(n => n?.ToString("R", CultureInfo.InvariantCulture)).ToArray();
    }

    // Parquet.Net 6 reports UTF-8 columns as ReadOnlyMemory<char>; both read as strings.
    private static bool IsText(Type type) => type == typeof(string) || type == typeof(ReadOnlyMemory<char>);

    private static async Task<double?[]> ReadNumbersAsync(ParquetRowGroupReader group, DataField field, int rows, string path)
    {
        Type type = field.ClrType;
        if (type == typeof(int)) return await ReadAsync<int>(group, field, rows);
        if (type == typeof(long)) return await ReadAsync<long>(group, field, rows);
        if (type == typeof(short)) return await ReadAsync<short>(group, field, rows);
        if (type == typeof(byte)) return await ReadAsync<byte>(group, field, rows);
        if (type == typeof(sbyte)) return await ReadAsync<sbyte>(group, field, rows);
        if (type == typeof(uint)) return await ReadAsync<uint>(group, field, rows);
        if (type == typeof(ulong)) return await ReadAsync<ulong>(group, field, rows);
        if (type == typeof(ushort)) return await ReadAsync<ushort>(group, field, rows);
        if (type == typeof(float)) return await ReadAsync<float>(group, field, rows);
        if (type == typeof(double)) return await ReadAsync<double>(group, field, rows);
        if (type == typeof(decimal)) return await ReadAsync<decimal>(group, field, rows);
        if (IsText(type))
        {
            var text = new string?[rows];
            await group.ReadAsync(field, text.AsMemory());
            return text.Select(s => EventParsing.TryParseRating(s, out float f) ? (double?)f : null).ToArray();
        }
        throw new VaeCfException($"{(path.Length > 0 ? $"'{path}': " : "")}column '{field.Name}' has type {type.Name}, which is not a number or text.");
    }

    private static async Task<double?[]> ReadAsync<T>(ParquetRowGroupReader group, DataField field, int rows) where T : struct, INumber<T>
    {
        var result = new double?[rows];
        if (field.IsNullable)
        {
            var values = new T?[rows];
            await group.ReadAsync(field, values.AsMemory());
            for (int i = 0; i < rows; i++) result[i] = values[i] is T v ? double.CreateChecked(v) : null;
        }
        else
        {
            var values = new T[rows];
            await group.ReadAsync(field, values.AsMemory());
            for (int i = 0; i < rows; i++) result[i] = double.CreateChecked(values[i]);
        }
        return result;
    }
}
