using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using VaeCf.Data;
using VaeCf.Split;

namespace VaeCf.Cli.Commands;

/// <summary>
/// How raw interactions become a split: shared by every command that reads a dataset (prepare,
/// train, evaluate, ...), so a flag means the same thing everywhere.
/// </summary>
public abstract class DataSettings : CommandSettings
{
    [CommandOption("--format <FORMAT>")]
    [Description("auto, movielens-csv, movielens-dat, ml100k, amazon-json, amazon-csv, delimited or parquet.")]
    [DefaultValue("auto")]
    public string Format { get; init; } = "auto";

    [CommandOption("--threshold <RATING>")]
    [Description("Keep events with rating > RATING; 'none' keeps every event (Amazon 5-core).")]
    [DefaultValue("3.5")]
    public string Threshold { get; init; } = "3.5";

    [CommandOption("--min-user-count <N>")]
    [Description("Drop users with fewer events (after the threshold).")]
    [DefaultValue(5)]
    public int MinUserCount { get; init; } = 5;

    [CommandOption("--min-item-count <N>")]
    [Description("Drop items with fewer events; 0 applies no item filter, as the original.")]
    [DefaultValue(0)]
    public int MinItemCount { get; init; }

    [CommandOption("--heldout-users <N|F>")]
    [Description("Validation and test users each: a count (10000) or a fraction of users (0.1).")]
    public string? HeldOutUsers { get; init; }

    [CommandOption("--validation-users <N|F>")]
    [Description("Validation users: a count or a fraction (overrides --heldout-users).")]
    public string? ValidationUsers { get; init; }

    [CommandOption("--test-users <N|F>")]
    [Description("Test users: a count or a fraction (overrides --heldout-users).")]
    public string? TestUsers { get; init; }

    [CommandOption("--seed <SEED>")]
    [Description("Seed of the user shuffle and of the 80/20 fold-in/target draw.")]
    [DefaultValue(98765)]
    public int Seed { get; init; } = 98765;

    [CommandOption("--skip-bad-lines")]
    [Description("Count and report malformed lines instead of stopping at the first.")]
    public bool SkipBadLines { get; init; }

    [CommandOption("--user-col <NAME|INDEX>")]
    [Description("User column of a delimited or Parquet file (header name or 0-based index).")]
    public string? UserColumn { get; init; }

    [CommandOption("--item-col <NAME|INDEX>")]
    [Description("Item column of a delimited or Parquet file.")]
    public string? ItemColumn { get; init; }

    [CommandOption("--rating-col <NAME|INDEX>")]
    [Description("Rating column of a delimited or Parquet file.")]
    public string? RatingColumn { get; init; }

    [CommandOption("--timestamp-col <NAME|INDEX>")]
    [Description("Timestamp column of a delimited or Parquet file (optional).")]
    public string? TimestampColumn { get; init; }

    [CommandOption("--sep <CHAR>")]
    [Description("Field separator of a delimited file: one character, or 'tab'.")]
    public string? Separator { get; init; }

    [CommandOption("--item-user-order")]
    [Description("Amazon ratings-only CSV in the 2018 order item,user,rating,ts (default: told from the IDs).")]
    public bool ItemUserOrder { get; init; }

    [CommandOption("--user-item-order")]
    [Description("Amazon ratings-only CSV in the 2014 order user,item,rating,ts (default: told from the IDs).")]
    public bool UserItemOrder { get; init; }

    /// <summary>Checks the data flags; commands call it from their own Validate.</summary>
    protected ValidationResult ValidateData()
    {
        if (MinUserCount < 0) return ValidationResult.Error("--min-user-count must be 0 or more.");
        if (MinItemCount < 0) return ValidationResult.Error("--min-item-count must be 0 or more.");
        if (HeldOutUsers is not null && ValidationUsers is not null && TestUsers is not null)
            return ValidationResult.Error("--heldout-users has no effect when both --validation-users and --test-users are given; drop one.");
        if (ItemUserOrder && UserItemOrder) return ValidationResult.Error("--item-user-order and --user-item-order contradict each other; give one.");
        if (Separator is not null && Separator != "tab" && Separator != "\\t" && Separator.Length != 1)
            return ValidationResult.Error($"--sep must be one character or 'tab', got '{Separator}'.");
        try
        {
            _ = ToOptions();
        }
        catch (VaeCfException ex)
        {
            return ValidationResult.Error(ex.Message);
        }
        return ValidationResult.Success();
    }

    public PrepareOptions ToOptions()
    {
        var heldOut = HeldOutUsers is null ? HeldOutSize.Share(0.1) : HeldOutSize.Parse(HeldOutUsers);
        var options = new PrepareOptions
        {
            Reader = new ReaderOptions
            {
                Format = InputFormatNames.Parse(Format),
                UserColumn = UserColumn is null ? null : ColumnSelector.Parse(UserColumn),
                ItemColumn = ItemColumn is null ? null : ColumnSelector.Parse(ItemColumn),
                RatingColumn = RatingColumn is null ? null : ColumnSelector.Parse(RatingColumn),
                TimestampColumn = TimestampColumn is null ? null : ColumnSelector.Parse(TimestampColumn),
                Separator = Separator switch { null => null, "tab" or "\\t" => '\t', _ => Separator[0] },
                SkipBadLines = SkipBadLines,
                ItemUserOrder = ItemUserOrder ? true : UserItemOrder ? false : null,
            },
            Preprocess = new PreprocessOptions
            {
                RatingThreshold = ParseThreshold(Threshold),
                MinUserCount = MinUserCount,
                MinItemCount = MinItemCount,
            },
            Split = new SplitOptions
            {
                ValidationUsers = ValidationUsers is null ? heldOut : HeldOutSize.Parse(ValidationUsers),
                TestUsers = TestUsers is null ? heldOut : HeldOutSize.Parse(TestUsers),
                Seed = Seed,
            },
        };
        options.Validate();
        return options;
    }

    private static float? ParseThreshold(string text) =>
        text.Trim().Equals("none", StringComparison.OrdinalIgnoreCase) ? null
        : float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float t) && float.IsFinite(t) ? t
        : throw new VaeCfException($"--threshold must be a number or 'none', got '{text}'.");
}
