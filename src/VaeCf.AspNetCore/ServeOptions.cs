using Microsoft.AspNetCore.Http;
using VaeCf.Serving;

namespace VaeCf.AspNetCore;

/// <summary>Per-request limits; exceeding one answers 400 (or 413 for the body) instead of doing unbounded work.</summary>
public sealed record ServingLimits
{
    /// <summary>Most item IDs in one history (and, separately, in one exclusion list).</summary>
    public int MaxItems { get; init; } = 10_000;
    /// <summary>Largest k a request may ask for.</summary>
    public int MaxK { get; init; } = 1_000;
    /// <summary>Most requests in one POST /recommend/batch.</summary>
    public int MaxBatchSize { get; init; } = 1_000;
    /// <summary>Largest request body in bytes (4 MiB by default); larger bodies are answered 413.</summary>
    public long MaxBodyBytes { get; init; } = 4L << 20;

    /// <summary>Checks every limit is positive.</summary>
    /// <exception cref="VaeCfException">A limit is out of range; the message names its serve option.</exception>
    public void Validate()
    {
        if (MaxItems < 1) throw new VaeCfException($"--max-items must be at least 1, got {MaxItems}.");
        if (MaxK < 1) throw new VaeCfException($"--max-k must be at least 1, got {MaxK}.");
        if (MaxBatchSize < 1) throw new VaeCfException($"--max-batch-size must be at least 1, got {MaxBatchSize}.");
        if (MaxBodyBytes < 64) throw new VaeCfException($"--max-body-bytes must be at least 64, got {MaxBodyBytes}.");
    }
}

/// <summary>Everything `vaecf serve` needs; tests build one directly.</summary>
public sealed record ServeOptions
{
    /// <summary>Model folder written by vaecf train (or its library equivalent).</summary>
    public required string ModelDirectory { get; init; }
    /// <summary>Optional titles file (MovieLens movies.csv layout) whose titles are added to answers.</summary>
    public string? TitlesPath { get; init; }
    /// <summary>Semicolon-separated listen addresses; port 0 picks a free port.</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5000";
    /// <summary>Null serves every request with its own forward pass (for comparison).</summary>
    public MicroBatcherOptions? Batching { get; init; } = new();
    /// <summary>Per-request limits.</summary>
    public ServingLimits Limits { get; init; } = new();
    /// <summary>GEMM threads of the forward pass; 0 uses every core.</summary>
    public int Threads { get; init; }
    /// <summary>Log each request at Information (ASP.NET Core's request-finished lines), off by default for speed.</summary>
    public bool LogRequests { get; init; }

    /// <summary>Checks the options before anything is loaded or bound.</summary>
    /// <exception cref="VaeCfException">An option is missing or out of range; the message names it.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelDirectory)) throw new VaeCfException("--model is required: a folder written by vaecf train.");
        if (Threads < 0) throw new VaeCfException($"--threads must be 0 (all cores) or positive, got {Threads}.");
        ValidateUrls(Urls);
        Batching?.Validate();
        Limits.Validate();
    }

    /// <summary>Each ';'-separated address must be http(s)://HOST:PORT with a port from 0 to 65535 (or a unix socket), so a typo is one line, not a Kestrel stack trace.</summary>
    public static void ValidateUrls(string urls)
    {
        var addresses = (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (addresses.Length == 0) throw new VaeCfException("--urls is empty; expected an address such as http://127.0.0.1:5000.");
        foreach (var url in addresses)
        {
            const string expected = "expected http://HOST:PORT or https://HOST:PORT with a port from 0 to 65535, ';'-separated for several";
            BindingAddress address;
            try { address = BindingAddress.Parse(url); }
            catch (FormatException) { throw new VaeCfException($"--urls: '{url}' is not an address; {expected}."); }
            if (address.Scheme is not ("http" or "https")) throw new VaeCfException($"--urls: '{url}' has scheme '{address.Scheme}'; {expected}.");
            if (address.IsNamedPipe || address.IsUnixPipe) continue;
            if (string.IsNullOrEmpty(address.Host)) throw new VaeCfException($"--urls: '{url}' has no host; {expected}.");
            if (address.Port is < 0 or > 65535) throw new VaeCfException($"--urls: '{url}' has port {address.Port}; {expected}.");
        }
    }
}
