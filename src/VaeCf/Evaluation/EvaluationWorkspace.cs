using VaeCf.Data;
using VaeCf.Model;
using VaeCf.Numerics;

namespace VaeCf.Evaluation;

/// <summary>
/// Everything an evaluation writes, kept between calls so that evaluating after every epoch
/// allocates nothing after the first time: the batch's scores, each worker's top-k ranking and the
/// per-user metric values. Buffers only grow. For an <see cref="AutoencoderNetwork"/> the batch's
/// scores are the logits of a network workspace held here, ranked in place, so an evaluation holds
/// one rows x items buffer instead of the network's and a copy; the trainer reuses that workspace
/// for the validation loss. Not thread-safe: one per concurrent caller.
/// </summary>
public sealed class EvaluationWorkspace
{
    private readonly GemmEngine? _gemm;
    private AutoencoderNetwork? _network;
    private NetworkWorkspace? _networkWorkspace;
    private float[] _scores = [];
    private int[][] _rankings = [];
    private double[][] _perUser = [];

    /// <param name="gemm">
    /// The engine network workspaces get (its packing buffers are shared with whoever else uses it,
    /// so only pass one used by the same thread, like the trainer's); null gives each its own.
    /// </param>
    public EvaluationWorkspace(GemmEngine? gemm = null) => _gemm = gemm;

    /// <summary>
    /// The network workspace for <paramref name="network"/>, with room for at least
    /// <paramref name="rows"/> rows: the one evaluation scores into, made once and replaced only by
    /// a larger one (or for another network).
    /// </summary>
    public NetworkWorkspace NetworkWorkspace(AutoencoderNetwork network, int rows)
    {
        if (!ReferenceEquals(network, _network) || _networkWorkspace is null || _networkWorkspace.MaxRows < rows)
        {
            // Drop the old one first so the old and new buffers are never both reachable.
            _networkWorkspace = null;
            _network = network;
            _networkWorkspace = network.CreateWorkspace(Math.Max(1, rows), _gemm);
        }
        return _networkWorkspace;
    }

    /// <summary>Bytes of every buffer held now (network workspace, score buffer, rankings, per-user values).</summary>
    public long Bytes
    {
        get
        {
            long bytes = (_networkWorkspace?.Bytes ?? 0) + 4 * _scores.LongLength;
            foreach (var r in _rankings) bytes += 4L * r.Length;
            foreach (var p in _perUser) bytes += 8L * p.Length;
            return bytes;
        }
    }

    /// <summary>
    /// Scores rows [start, start + count) of <paramref name="histories"/>; the scores are the first
    /// count x ItemCount entries of the returned buffer, which stays the workspace's.
    /// </summary>
    internal float[] Score(IScorer scorer, CsrMatrix histories, int start, int count)
    {
        if (scorer is AutoencoderNetwork network)
        {
            var ws = NetworkWorkspace(network, count);
            network.Forward(ws, histories, ws.RowRange(start, count), training: false);
            return ws.Logits;
        }
        long length = (long)count * scorer.ItemCount;
        if (_scores.LongLength < length) { _scores = []; _scores = new float[length]; }
        scorer.Score(histories, start, count, _scores.AsSpan(0, (int)length));
        return _scores;
    }

    /// <summary>One top-k buffer of at least <paramref name="k"/> entries per worker.</summary>
    internal int[][] Rankings(int workers, int k)
    {
        if (_rankings.Length < workers || _rankings[0].Length < k)
        {
            var grown = new int[Math.Max(workers, _rankings.Length)][];
            int size = Math.Max(k, _rankings.Length > 0 ? _rankings[0].Length : 0);
            for (int w = 0; w < grown.Length; w++) grown[w] = new int[size];
            _rankings = grown;
        }
        return _rankings;
    }

    /// <summary>One value per user and metric; entries past <paramref name="users"/> are stale.</summary>
    internal double[][] PerUser(int metrics, int users)
    {
        if (_perUser.Length < metrics || (_perUser.Length > 0 && _perUser[0].Length < users))
        {
            var grown = new double[Math.Max(metrics, _perUser.Length)][];
            int size = Math.Max(users, _perUser.Length > 0 ? _perUser[0].Length : 0);
            for (int m = 0; m < grown.Length; m++) grown[m] = new double[size];
            _perUser = grown;
        }
        return _perUser;
    }
}
