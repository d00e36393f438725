package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/airbnb"
	"github.com/noscites/citadel/ingest/catalog"
	"github.com/noscites/citadel/ingest/dvf"
	"github.com/noscites/citadel/ingest/edstats"
	"github.com/noscites/citadel/ingest/supermarket"
	"github.com/noscites/citadel/ingest/weather"
	"github.com/noscites/citadel/internal/fault"
)

func ingestCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "ingest",
		Usage: "load the association's datasets (citadel ingest list)",
		Subcommands: []*cli.Command{
			{Name: "list", Usage: "name the datasets and the files each expects", Action: e.ingestList},
			{
				Name: "airbnb", Usage: "load one city's Inside Airbnb listings.csv", ArgsUsage: "--city paris|lyon FILE",
				Flags:  append(loadFlags(), &cli.StringFlag{Name: "city", Usage: "paris or lyon"}),
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
					&cli.BoolFlag{Name: "keep-personal-data", Usage: "store employee names and emails as they are (default: keyed pseudonyms; password hashes are never loaded)"},
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
		&cli.Float64Flag{Name: "max-error-rate", Value: -1, Usage: "fail (exit 3) when rejected/read passes this `FRACTION` (default: the config's ingest.max_error_rate, else 0.01)"},
		&cli.IntFlag{Name: "batch-size", Usage: "documents per bulk insert (default: config, else 1000)"},
		&cli.IntFlag{Name: "workers", Usage: "bulk inserts in parallel (default: config, else 2)"},
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
		return err
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
	l := &weather.Loader{Infoclimat: c.StringSlice("infoclimat")}
	for i, b := range books {
		w, err := weather.NewWorkbook(b, stations[i])
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
	key, err := pseudonymKey(c)
	if err != nil {
		return err
	}
	l, err := supermarket.New(c.Args().First(), c.String("logs"), []byte(key), c.Bool("keep-personal-data"))
	if err != nil {
		return fault.Usage(fmt.Sprintf("ingest supermarket: %v", err))
	}
	return e.runLoad(c, l)
}

// pseudonymKey resolves the pseudonymisation key: --pseudonym-key-env,
// else the config's ingest.pseudonym_key_env or _file, else
// $CITADEL_PSEUDONYM_KEY. An empty key is refused by the loader unless
// personal data is kept.
func pseudonymKey(c *cli.Context) (string, error) {
	if name := c.String("pseudonym-key-env"); name != "" {
		return os.Getenv(name), nil
	}
	cfg, err := ingestConfig(c, false)
	if err != nil {
		return "", err
	}
	if cfg != nil && cfg.Ingest != nil && (cfg.Ingest.PseudonymKeyEnv != "" || cfg.Ingest.PseudonymKeyFile != "") {
		if c.Bool("keep-personal-data") {
			return "", nil
		}
		return cfg.Ingest.PseudonymKey()
	}
	return os.Getenv("CITADEL_PSEUDONYM_KEY"), nil
}

// runLoad runs one load and prints its report, also when it fails.
func (e *env) runLoad(c *cli.Context, l ingest.Loader) error {
	t, err := e.openTarget(c, !c.Bool("dry-run"))
	if err != nil {
		return err
	}
	defer t.close()
	opt, err := e.loadOptions(c, t)
	if err != nil {
		return err
	}
	rep, err := ingest.Run(c.Context, t.db, l, opt)
	if perr := e.printReport(rep, t); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return fmt.Errorf("ingest %s: %w", l.Dataset(), err)
	}
	return nil
}
