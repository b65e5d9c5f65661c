set terminal svg size 800,500 dynamic noenhanced font 'sans,11'
set output 'scaling.svg'
set title 'throughput against worker count (higher is better)'
set xlabel 'workers'
set ylabel 'million operations per second'
set logscale y
set xtics (1, 2)
set grid
set key outside right
plot 'scaling.dat' index 0 using 1:2 with linespoints title 'spawn_many weft', 'scaling.dat' index 1 using 1:2 with linespoints title 'spawn_many tokio-mt', 'scaling.dat' index 2 using 1:2 with linespoints title 'spawn_many go', 'scaling.dat' index 3 using 1:2 with linespoints title 'yield_many weft', 'scaling.dat' index 4 using 1:2 with linespoints title 'yield_many tokio-mt', 'scaling.dat' index 5 using 1:2 with linespoints title 'yield_many go', 'scaling.dat' index 6 using 1:2 with linespoints title 'ping_pong weft', 'scaling.dat' index 7 using 1:2 with linespoints title 'ping_pong tokio-mt', 'scaling.dat' index 8 using 1:2 with linespoints title 'ping_pong go', 'scaling.dat' index 9 using 1:2 with linespoints title 'chained_spawn weft', 'scaling.dat' index 10 using 1:2 with linespoints title 'chained_spawn tokio-mt', 'scaling.dat' index 11 using 1:2 with linespoints title 'chained_spawn go'
