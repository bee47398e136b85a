namespace VaeCf.Distributed;

/// <summary>When to join an MPI job: <see cref="Auto"/> only when an MPI launcher started this process.</summary>
public enum DistributedMode
{
    /// <summary>MPI when an MPI launcher (mpiexec, srun) started this process, else one process.</summary>
    Auto,
    /// <summary>One process, even under a launcher.</summary>
    Off,
    /// <summary>Join an MPI job, loading the MPI library even without a launcher's evidence.</summary>
    Mpi,
}

/// <summary>
/// Chooses between one process and MPI. MPI is loaded only when a launcher started the process
/// (its environment says so) or <see cref="DistributedMode.Mpi"/> asks for it, so a plain run never
/// needs an MPI library.
/// </summary>
public static class CommunicatorFactory
{
    /// <summary>Environment variable naming the MPI library to load before the usual names.</summary>
    public const string LibraryVariable = "VAECF_MPI_LIBRARY";

    /// <summary>The communicator for <paramref name="mode"/>: the shared one-process instance, or this process's place in an MPI job.</summary>
    /// <param name="environment">Reads an environment variable (tests pass their own); the process's environment when null.</param>
    /// <exception cref="VaeCfException">MPI was asked for or a launcher started the process, and no usable MPI library could be loaded.</exception>
    public static ICommunicator Create(DistributedMode mode, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (mode == DistributedMode.Off) return SingleProcessCommunicator.Instance;
        string? launcher = LauncherEvidence(environment);
        if (mode == DistributedMode.Auto && launcher is null) return SingleProcessCommunicator.Instance;
        try { return MpiCommunicator.Start(environment(LibraryVariable)); }
        catch (VaeCfException e) when (launcher is not null)
        {
            throw new VaeCfException($"This process was started by an MPI launcher ({launcher} is set), but: {e.Message} Pass --distributed off to train alone.");
        }
    }

    /// <summary>
    /// The variable that shows an MPI launcher started this process, or null: Hydra (MPICH's
    /// mpiexec) and PMI-1/2 set PMI_RANK / PMI_SIZE, PMIx (Open MPI, Slurm's --mpi=pmix) PMIX_RANK,
    /// Open MPI OMPI_COMM_WORLD_SIZE, Hydra also MPI_LOCALNRANKS, and Slurm's srun SLURM_PROCID with
    /// more than one task (one task under sbatch alone is not a parallel job).
    /// </summary>
    public static string? LauncherEvidence(Func<string, string?> environment)
    {
        foreach (var name in new[] { "PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS" })
            if (!string.IsNullOrEmpty(environment(name))) return name;
        if (!string.IsNullOrEmpty(environment("SLURM_PROCID")) && int.TryParse(environment("SLURM_NTASKS"), out int tasks) && tasks > 1
            && (!string.IsNullOrEmpty(environment("PMI_FD")) || !string.IsNullOrEmpty(environment("PMI_JOBID")) || !string.IsNullOrEmpty(environment("SLURM_MPI_TYPE"))))
            return "SLURM_PROCID";
        return null;
    }
}
