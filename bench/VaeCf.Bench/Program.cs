using VaeCf.Bench;

// Usage: VaeCf.Bench gemm [--threads 1,2] [--seconds 1] [--simd Vector512|Vector256|Scalar] [--shape NAME]
if (args.Length > 0 && args[0] == "serve") return ServeBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "stalls") return StallBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "ease") return EaseBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "scale") return ScaleBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "synthetic-model") return SyntheticModel.Run(args[1..]);
// Under mpiexec -n P (or alone for P = 1): docs/distributed.md.
if (args.Length > 0 && args[0] == "allreduce") return DistributedBench.RunAllreduce(args[1..]);
if (args.Length > 0 && args[0] == "data-parallel") return DistributedBench.RunDataParallel(args[1..]);
if (args.Length == 0 || args[0] != "gemm")
{
    Console.Error.WriteLine("usage: VaeCf.Bench gemm [--threads 1,2] [--seconds 1] [--simd Vector512|Vector256|Scalar] [--shape NAME]\n       VaeCf.Bench serve [--items N] [--history N] [-k N] [--sizes 1,16,64] [--threads N] [--seconds 2]\n       VaeCf.Bench stalls [--threads N] [--seconds 10]\n       VaeCf.Bench ease [--items 10000] [--users 116677] [--clicks-per-user 86] [--lambda 500] [--threads 0] [--seed 98765]\n       " + VaeCf.Benchmarks.ScaleOptions.Usage.Replace("\n", "\n  ") + "\n       VaeCf.Bench synthetic-model --output DIR [--items 20108] [--p-dims 200,600] [--seed 1]\n       [mpiexec -n P] VaeCf.Bench allreduce [--max-bytes 67108864] [--seconds 0.5]\n       [mpiexec -n P] VaeCf.Bench data-parallel [--model vae|dae] [--items 20108] [--batch-size 500] [--batches 12] [--threads 1] [--reduction dense|touched] [--overlap none|output|alternate] [--buckets 8]");
    return 2;
}
return GemmBench.Run(args[1..]);
