package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/noscites/citadel/config"
	"github.com/noscites/citadel/ingest/weather"
)

// weatherStations is the table of Weather Underground stations: the
// config's ingest.weather_stations, else the two citadel knows.
func weatherStations(c *cli.Context) (weather.StationTable, error) {
	cfg, err := ingestConfig(c, false)
	if err != nil {
		return nil, err
	}
	in := cfgIngest(cfg)
	if in == nil || len(in.WeatherStations) == 0 {
		return weather.KnownWUStations(), nil
	}
	list := make([]weather.WUStation, len(in.WeatherStations))
	for i, s := range in.WeatherStations {
		list[i] = stationFromConfig(s)
	}
	t, err := weather.NewStations(list)
	if err != nil {
		return nil, fmt.Errorf("%s: ingest.weather_stations: %w", cfg.File, err)
	}
	return t, nil
}

func stationFromConfig(s config.WeatherStation) weather.WUStation {
	return weather.WUStation{ID: s.ID, Name: s.Name, Country: s.Country, TZ: s.TimeZone,
		Latitude: s.Latitude, Longitude: s.Longitude, Elevation: s.Elevation, Units: s.Units}
}
