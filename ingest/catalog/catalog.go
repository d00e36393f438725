// Package catalog names the datasets citadel loads, the files each expects
// and their canned analyses, for `citadel ingest list`, `citadel report`
// and restore drills (which run the probes before and after a restore).
package catalog

import (
	"fmt"
	"sort"
	"strings"

	"github.com/noscites/citadel/ingest"
	"github.com/noscites/citadel/ingest/airbnb"
	"github.com/noscites/citadel/ingest/dvf"
	"github.com/noscites/citadel/ingest/edstats"
	"github.com/noscites/citadel/ingest/supermarket"
	"github.com/noscites/citadel/ingest/weather"
)

// Dataset is one loadable dataset.
type Dataset struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Files       string         `json:"files"`
	Collections []string       `json:"collections"`
	Probes      []ingest.Probe `json:"-"`
}

// All lists the datasets in the order of datasets.md.
func All() []Dataset {
	return []Dataset{
		{Name: "airbnb", Description: "Inside Airbnb listings, Paris and Lyon",
			Files:       "listings.csv (detailed, 2023-2024 or 2025 schema), one per city: --city paris|lyon FILE",
			Collections: []string{airbnb.Collection}, Probes: airbnb.Probes()},
		{Name: "dvf", Description: "DVF real-estate transactions (Demandes de valeurs foncières)",
			Files:       "valeursfoncieres-YYYY.txt, '|'-separated, UTF-8 or Latin-1: FILE...",
			Collections: []string{dvf.Collection}, Probes: dvf.Probes()},
		{Name: "edstats", Description: "World Bank EdStats",
			Files:       "a directory with " + strings.Join(edstats.FileNames(), ", ") + ": DIR",
			Collections: []string{edstats.Countries, edstats.Series, edstats.CountrySeries, edstats.Footnotes, edstats.Data, edstats.Meta},
			Probes:      edstats.Probes()},
		{Name: "weather", Description: "Hauts-de-France weather: Infoclimat and Weather Underground",
			Files:       "Infoclimat JSON exports (--infoclimat FILE) and Weather Underground workbooks, one sheet per day (--wunderground FILE.xlsx --station ILAMAD25|IICHTE19)",
			Collections: []string{weather.Readings, weather.Stations}, Probes: weather.Probes()},
		{Name: "supermarket", Description: "SuperSmartMarket audit: sales cube and logs",
			Files:       "the sales workbook (sheets Vente Détail, Produits, Clients, Calendrier, Employé) and --logs the logs workbook (sheet Logs)",
			Collections: []string{supermarket.Sales, supermarket.Products, supermarket.Customers, supermarket.Employees, supermarket.Calendar, supermarket.Logs},
			Probes:      supermarket.Probes()},
	}
}

// Find returns the named dataset.
func Find(name string) (Dataset, error) {
	var names []string
	for _, d := range All() {
		if d.Name == name {
			return d, nil
		}
		names = append(names, d.Name)
	}
	sort.Strings(names)
	return Dataset{}, fmt.Errorf("unknown dataset %q: use one of %s", name, strings.Join(names, ", "))
}

// Probe returns a dataset's named probe.
func (d Dataset) Probe(name string) (ingest.Probe, error) {
	var names []string
	for _, p := range d.Probes {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return ingest.Probe{}, fmt.Errorf("dataset %s has no question %q: use one of %s", d.Name, name, strings.Join(names, ", "))
}
