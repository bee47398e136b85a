using VaeCf.Bench;

// Usage: VaeCf.Bench gemm [--threads 1,2] [--seconds 1] [--simd Vector512|Vector256|Scalar] [--shape NAME]
if (args.Length > 0 && args[0] == "serve") return ServeBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "stalls") return StallBench.Run(args[1..]);
if (args.Length == 0 || args[0] != "gemm")
{
    Console.Error.WriteLine("usage: VaeCf.Bench gemm [--threads 1,2] [--seconds 1] [--simd Vector512|Vector256|Scalar] [--shape NAME]\n       VaeCf.Bench serve [--items N] [--history N] [-k N] [--sizes 1,16,64] [--threads N] [--seconds 2]\n       VaeCf.Bench stalls [--threads N] [--seconds 10]");
    return 2;
}
return GemmBench.Run(args[1..]);
