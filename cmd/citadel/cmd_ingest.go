package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/airbnb"
	"github.com/noscites/citadel/ingest/catalog"
	"github.com/noscites/citadel/ingest/dvf"
	"github.com/noscites/citadel/ingest/edstats"
	"github.com/noscites/citadel/ingest/supermarket"
	"github.com/noscites/citadel/ingest/weather"
	"github.com/noscites/citadel/internal/fault"
	"github.com/noscites/citadel/internal/progress"
)

func ingestCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "ingest",
		Usage: "load the association's datasets (citadel ingest list)",
		Subcommands: []*cli.Command{
			{Name: "list", Usage: "name the datasets and the files each expects", Action: e.ingestList},
			{
				Name: "airbnb", Usage: "load one city's Inside Airbnb listings.csv", ArgsUsage: "--city paris|lyon FILE",
				Flags:  append(loadFlags(), &cli.StringFlag{Name: "city", Usage: "`CITY` of the listings: paris or lyon (required)"}),
				Action: e.ingestAirbnb,
			},
			{
				Name: "dvf", Usage: "load DVF files (valeursfoncieres-YYYY.txt, UTF-8 or Latin-1)", ArgsUsage: "FILE...",
				Flags: loadFlags(), Action: e.ingestDVF,
			},
			{
				Name: "edstats", Usage: "load the five World Bank EdStats CSV files of a directory", ArgsUsage: "DIR",
				Flags: loadFlags(), Action: e.ingestEdStats,
			},
			{
				Name: "weather", Usage: "load Infoclimat JSON exports and Weather Underground workbooks",
				ArgsUsage: "[--infoclimat FILE]... [--wunderground FILE.xlsx --station ID]...",
				Flags: append(loadFlags(),
					&cli.StringSliceFlag{Name: "infoclimat", Usage: "an Infoclimat JSON `FILE` (repeatable)"},
					&cli.StringSliceFlag{Name: "wunderground", Usage: "a Weather Underground `FILE.xlsx` (repeatable, each with a --station)"},
					&cli.StringSliceFlag{Name: "station", Usage: "the station `ID` of the --wunderground file at the same position"}),
				Action: e.ingestWeather,
			},
			{
				Name: "supermarket", Usage: "load the SuperSmartMarket sales workbook and its logs workbook",
				ArgsUsage: "[--logs FILE.xlsx] FILE.xlsx",
				Flags: append(loadFlags(),
					&cli.StringFlag{Name: "logs", Usage: "the logs workbook `FILE.xlsx` (sheet Logs)"},
					&cli.BoolFlag{Name: "keep-personal-data", Usage: "store employee names and emails as they are (password hashes are never loaded)", DefaultText: "keyed pseudonyms"},
					&cli.StringFlag{Name: "pseudonym-key-env", Usage: "environment `VARIABLE` holding the pseudonymisation key (default: the config's ingest.pseudonym_key_env or _file, else CITADEL_PSEUDONYM_KEY)"}),
				Action: e.ingestSupermarket,
			},
		},
	}
}

// loadFlags are the flags of every load.
func loadFlags() []cli.Flag {
	return append(targetFlags(),
		&cli.BoolFlag{Name: "dry-run", Usage: "read and validate everything, write nothing"},
		&cli.Float64Flag{Name: "max-error-rate", Value: -1, Usage: "fail (exit 3) when rejected/read passes this `FRACTION`",
			DefaultText: fmt.Sprintf("the config's ingest.max_error_rate, else %g", ingest.DefaultMaxErrorRate)},
		&cli.IntFlag{Name: "batch-size", Usage: "documents per bulk insert", DefaultText: fmt.Sprintf("the config's ingest.batch_size, else %d", ingest.DefaultBatchSize)},
		&cli.IntFlag{Name: "workers", Usage: "bulk inserts in parallel", DefaultText: fmt.Sprintf("the config's ingest.workers, else %d", ingest.DefaultWorkers)},
	)
}

func (e *env) ingestList(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, ""); err != nil {
		return err
	}
	type entry struct {
		catalog.Dataset
		Questions []string `json:"questions"`
	}
	var all []entry
	for _, d := range catalog.All() {
		q := make([]string, len(d.Probes))
		for i, p := range d.Probes {
			q[i] = p.Name
		}
		all = append(all, entry{Dataset: d, Questions: q})
	}
	if e.json {
		return printJSON(e.stdout, all)
	}
	for _, d := range all {
		fmt.Fprintf(e.stdout, "%-12s %s\n%-12s files: %s\n%-12s report: %s\n", d.Name, d.Description, "", d.Files, "", strings.Join(d.Questions, ", "))
	}
	return nil
}

func (e *env) ingestAirbnb(c *cli.Context) error {
	if err := requireArgs(c, 1, 1, "--city paris|lyon FILE"); err != nil {
		return err
	}
	if c.String("city") == "" {
		return fault.Usage(fmt.Sprintf("ingest airbnb: --city is required (%s)", strings.Join(airbnb.Cities(), " or ")))
	}
	l, err := airbnb.New(c.String("city"), c.Args().First())
	if err != nil {
		return fault.Usage(fmt.Sprintf("ingest airbnb: --city: %v", err))
	}
	return e.runLoad(c, l)
}

func (e *env) ingestDVF(c *cli.Context) error {
	files, err := positional(c, 1, -1, "FILE...")
	if err != nil {
		return err
	}
	return e.runLoad(c, dvf.New(files...))
}

func (e *env) ingestEdStats(c *cli.Context) error {
	if err := requireArgs(c, 1, 1, "DIR"); err != nil {
		return err
	}
	l, err := edstats.New(c.Args().First())
	if err != nil {
		return fmt.Errorf("ingest edstats: %w", err)
	}
	return e.runLoad(c, l)
}

func (e *env) ingestWeather(c *cli.Context) error {
	if err := requireArgs(c, 0, 0, "[--infoclimat FILE]... [--wunderground FILE.xlsx --station ID]..."); err != nil {
		return err
	}
	books, stations := c.StringSlice("wunderground"), c.StringSlice("station")
	if len(books) != len(stations) {
		return fault.Usage(fmt.Sprintf("ingest weather: %d --wunderground file(s) but %d --station: give one station per workbook", len(books), len(stations)))
	}
	known, err := weatherStations(c)
	if err != nil {
		return err
	}
	l := &weather.Loader{Infoclimat: c.StringSlice("infoclimat")}
	for i, b := range books {
		w, err := known.Workbook(b, stations[i])
		if err != nil {
			return fault.Usage(fmt.Sprintf("ingest weather: --station: %v", err))
		}
		l.Workbooks = append(l.Workbooks, w)
	}
	if len(l.Infoclimat)+len(l.Workbooks) == 0 {
		return fault.Usage("ingest weather: give at least one --infoclimat FILE or --wunderground FILE.xlsx --station ID")
	}
	return e.runLoad(c, l)
}

func (e *env) ingestSupermarket(c *cli.Context) error {
	if err := requireArgs(c, 1, 1, "[--logs FILE.xlsx] FILE.xlsx"); err != nil {
		return err
	}
	key, from, err := pseudonymKey(c)
	if err != nil {
		return err
	}
	l, err := supermarket.New(c.Args().First(), c.String("logs"), []byte(key), c.Bool("keep-personal-data"))
	if err != nil {
		return fault.Usage(fmt.Sprintf("ingest supermarket: %s: %v", from, err))
	}
	return e.runLoad(c, l)
}

// pseudonymKey resolves the pseudonymisation key and says where it came
// from: --pseudonym-key-env, else the config's ingest.pseudonym_key_env or
// _file, else $CITADEL_PSEUDONYM_KEY. A missing or short key is refused by
// the loader unless personal data is kept.
func pseudonymKey(c *cli.Context) (key, from string, err error) {
	if name := c.String("pseudonym-key-env"); name != "" {
		return os.Getenv(name), "--pseudonym-key-env " + name, nil
	}
	cfg, err := ingestConfig(c, false)
	if err != nil {
		return "", "", err
	}
	if in := cfgIngest(cfg); in != nil && (in.PseudonymKeyEnv != "" || in.PseudonymKeyFile != "") {
		from = "ingest.pseudonym_key_env " + in.PseudonymKeyEnv
		if in.PseudonymKeyEnv == "" {
			from = "ingest.pseudonym_key_file " + in.PseudonymKeyFile
		}
		if c.Bool("keep-personal-data") {
			return "", from, nil
		}
		key, err = in.PseudonymKey()
		return key, from, err
	}
	return os.Getenv("CITADEL_PSEUDONYM_KEY"), "CITADEL_PSEUDONYM_KEY", nil
}

func cfgIngest(cfg *config.Config) *config.Ingest {
	if cfg == nil {
		return nil
	}
	return cfg.Ingest
}

// runLoad runs one load and prints its report, also when it fails after
// it started (an input that cannot be opened stops it before: no report).
func (e *env) runLoad(c *cli.Context, l ingest.Loader) error {
	if err := ingest.CheckInputs(l); err != nil {
		return fmt.Errorf("ingest %s: %w", l.Dataset(), err)
	}
	t, err := e.openTarget(c, !c.Bool("dry-run"))
	if err != nil {
		return err
	}
	defer t.close()
	opt, err := e.loadOptions(c, t)
	if err != nil {
		return err
	}
	opt.Progress = progress.New()
	stop := e.showProgress(c.Context, opt.Progress, "ingest "+l.Dataset())
	rep, err := ingest.Load(c.Context, t.Target, l, opt)
	stop()
	if perr := e.printReport(rep, t); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return fmt.Errorf("ingest %s: %w", l.Dataset(), err)
	}
	return nil
}
