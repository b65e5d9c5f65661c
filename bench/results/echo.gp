set terminal svg size 800,400 dynamic noenhanced font 'sans,11'
set output 'echo.svg'
set title 'TCP echo: round trips per second (higher is better), server/workers'
set style data histograms
set style fill solid 0.8 border -1
set yrange [0:*]
set grid ytics
set xtics rotate by -30
plot 'echo.dat' using 2:xtic(1) notitle
